// Runs the compare step of .github/workflows/check-dist.yml in a throw-away git repository, so the
// step is known to catch a changed bundle and a file the build added before CI relies on it.

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { readWorkflow } from './workflows.js'
import { parseYaml } from './yaml-subset.js'

const workflowPath = '.github/workflows/check-dist.yml'
const workflow = readWorkflow(
  parseYaml(readFileSync(join(import.meta.dirname, '..', '..', workflowPath), 'utf8'), workflowPath),
  workflowPath
)
const steps = workflow.jobs.flatMap((job) => job.steps)
const compareStep = steps.find((step) => step.id === 'diff')
const uploadStep = steps.find((step) => typeof step.uses === 'string' && step.uses.startsWith('actions/upload-artifact@'))

const gitIdentity = {
  GIT_AUTHOR_NAME: 'Check Dist Test',
  GIT_AUTHOR_EMAIL: 'check-dist-test@example.invalid',
  GIT_COMMITTER_NAME: 'Check Dist Test',
  GIT_COMMITTER_EMAIL: 'check-dist-test@example.invalid'
}

let repository: string

function git(...args: string[]): void {
  const result = spawnSync('git', args, { cwd: repository, encoding: 'utf8', env: { ...process.env, ...gitIdentity } })
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr}`)
}

function runCompareStep(): { status: number | null; output: string } {
  if (!compareStep || typeof compareStep.run !== 'string') throw new Error(`${workflowPath}: no run step with id 'diff'`)
  const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', compareStep.run], {
    cwd: repository,
    encoding: 'utf8'
  })
  return { status: result.status, output: result.stdout + result.stderr }
}

beforeEach(() => {
  repository = mkdtempSync(join(tmpdir(), 'check-dist-'))
  git('init', '-q', '-b', 'main')
  mkdirSync(join(repository, 'dist'))
  writeFileSync(join(repository, 'dist', 'index.js'), 'export {}\n')
  writeFileSync(join(repository, 'README.md'), 'text\n')
  git('add', '.')
  git('commit', '-q', '-m', 'Seed')
})

afterEach(() => {
  rmSync(repository, { recursive: true, force: true })
})

describe('check-dist.yml compare step', () => {
  it('passes on an unchanged dist/', () => {
    const result = runCompareStep()

    expect(result.output).not.toContain('::error')
    expect(result.status).toBe(0)
  })

  it('ignores changes outside dist/', () => {
    writeFileSync(join(repository, 'README.md'), 'changed\n')

    expect(runCompareStep().status).toBe(0)
  })

  it('fails on a changed bundle', () => {
    writeFileSync(join(repository, 'dist', 'index.js'), 'export const changed = true\n')

    const result = runCompareStep()

    expect(result.output).toContain('dist/index.js')
    expect(result.output).toContain('::error title=dist/ is out of date::')
    expect(result.status).toBe(1)
  })

  it('fails on a file the build added', () => {
    writeFileSync(join(repository, 'dist', 'package.json'), '{"type":"module"}\n')

    const result = runCompareStep()

    expect(result.output).toContain('?? dist/package.json')
    expect(result.status).toBe(1)
  })

  it('fails on a file the build removed', () => {
    rmSync(join(repository, 'dist', 'index.js'))

    const result = runCompareStep()

    expect(result.output).toContain('dist/index.js')
    expect(result.status).toBe(1)
  })

  it('ignores line-ending differences', () => {
    writeFileSync(join(repository, 'dist', 'index.js'), 'export {}\r\n')

    expect(runCompareStep().status).toBe(0)
  })
})

describe('check-dist.yml artifact upload', () => {
  it('runs only when the compare step failed', () => {
    expect(uploadStep?.if).toBe("${{ failure() && steps.diff.outcome == 'failure' }}")
  })

  it('uploads dist/', () => {
    expect(uploadStep?.with).toEqual({ name: 'dist', path: 'dist/' })
  })
})
