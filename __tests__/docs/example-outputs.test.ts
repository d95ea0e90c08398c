// Runs the issue-opening step of examples/outputs.yml with a stand-in `gh` on PATH, because the
// real one would talk to GitHub. The stand-in records its arguments (NUL after each argument, RS
// after each call, because the issue body has line breaks) and prints a chosen count of open
// issues for `gh issue list`.

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { readWorkflow } from './workflows.js'
import { parseYaml } from './yaml-subset.js'

const examplePath = 'examples/outputs.yml'
const workflow = readWorkflow(
  parseYaml(readFileSync(join(import.meta.dirname, '..', '..', examplePath), 'utf8'), examplePath),
  examplePath
)
const issueJob = workflow.jobs.find((job) => job.steps.some((step) => typeof step.run === 'string' && step.run.includes('gh issue create')))
const issueStep = issueJob?.steps.find((step) => typeof step.run === 'string' && step.run.includes('gh issue create'))

let directory: string

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'example-outputs-'))
  const gh = join(directory, 'gh')
  writeFileSync(
    gh,
    [
      '#!/usr/bin/env bash',
      'printf "%s\\0" "$@" >> "$GH_STUB_DIR/calls"',
      'printf "\\036" >> "$GH_STUB_DIR/calls"',
      'if [ "$1 $2" = "issue list" ]; then echo "$GH_STUB_OPEN_ISSUES"; fi'
    ].join('\n') + '\n'
  )
  chmodSync(gh, 0o755)
})

afterEach(() => {
  rmSync(directory, { recursive: true, force: true })
})

/** Run the step with the job's environment, the given down nodes and open-issue count. */
function runIssueStep(downNodes: string, openIssues: number): { status: number | null; output: string; calls: string[][] } {
  if (!issueJob || !issueStep) throw new Error(`${examplePath}: no step runs "gh issue create"`)

  const env: NodeJS.ProcessEnv = {
    PATH: `${directory}:${process.env.PATH}`,
    HOME: process.env.HOME,
    GH_STUB_DIR: directory,
    GH_STUB_OPEN_ISSUES: String(openIssues)
  }
  for (const name of Object.keys(issueJob.env)) env[name] = `value of ${name}`
  env.DOWN_NODES = downNodes

  const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', issueStep.run as string], {
    cwd: directory,
    env,
    encoding: 'utf8'
  })
  const callsFile = join(directory, 'calls')
  const calls = existsSync(callsFile)
    ? readFileSync(callsFile, 'utf8')
        .split('\x1e')
        .filter((call) => call !== '')
        .map((call) => call.split('\0').filter((part) => part !== ''))
    : []
  return { status: result.status, output: result.stdout + result.stderr, calls }
}

describe('examples/outputs.yml issue step', () => {
  it('opens an issue naming the down nodes', () => {
    const result = runIssueStep('default-1, default-2', 0)

    expect(result.status).toBe(0)
    expect(result.calls).toHaveLength(2)
    const create = result.calls[1]!
    expect(create.slice(0, 2)).toEqual(['issue', 'create'])
    expect(create[create.indexOf('--title') + 1]).toBe('FLAME Hub: major outage')
    expect(create[create.indexOf('--body') + 1]).toContain('Nodes down: default-1, default-2')
  })

  it('opens no second issue', () => {
    const result = runIssueStep('default-2', 1)

    expect(result.status).toBe(0)
    expect(result.output).toContain('already open')
    expect(result.calls).toHaveLength(1)
    expect(result.calls[0]!.slice(0, 2)).toEqual(['issue', 'list'])
  })

  it('treats node names as text', () => {
    const result = runIssueStep('$(touch injected); `touch injected2`', 0)

    expect(result.status).toBe(0)
    expect(existsSync(join(directory, 'injected'))).toBe(false)
    expect(existsSync(join(directory, 'injected2'))).toBe(false)
    const create = result.calls[1]!
    expect(create[create.indexOf('--body') + 1]).toContain('Nodes down: $(touch injected); `touch injected2`')
  })

  it('says when no node is listed', () => {
    const result = runIssueStep('', 0)

    const create = result.calls[1]!
    expect(create[create.indexOf('--body') + 1]).toContain('Nodes down: none listed')
  })
})
