// Runs scripts/release.sh in a throw-away clone whose origin is a local bare repository, so every
// tag it creates and pushes is checked with git itself.

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const script = join(import.meta.dirname, '..', '..', 'scripts', 'release.sh')

const gitIdentity = {
  GIT_AUTHOR_NAME: 'Release Test',
  GIT_AUTHOR_EMAIL: 'release-test@example.invalid',
  GIT_COMMITTER_NAME: 'Release Test',
  GIT_COMMITTER_EMAIL: 'release-test@example.invalid'
}

let base: string
let origin: string
let clone: string

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...gitIdentity } })
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed in ${cwd}: ${result.stderr}`)
  return result.stdout.trim()
}

function release(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync('bash', [script, ...args], {
    cwd: clone,
    encoding: 'utf8',
    env: { ...process.env, ...gitIdentity, npm_config_update_notifier: 'false' }
  })
  return { status: result.status, output: result.stdout + result.stderr }
}

/** Write package.json with `version` and a build script that runs `build`, and commit it. */
function commitPackage(version: string, build = 'node -e ""'): void {
  writeFileSync(join(clone, 'package.json'), JSON.stringify({ name: 'release-test', version, scripts: { build } }))
  git(clone, 'add', 'package.json')
  git(clone, 'commit', '-q', '-m', `Set version ${version}`)
}

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'release-script-'))
  origin = join(base, 'origin.git')
  clone = join(base, 'clone')
  git(base, 'init', '-q', '--bare', '-b', 'main', origin)
  git(base, 'clone', '-q', origin, clone)
  git(clone, 'switch', '-q', '-c', 'main')

  mkdirSync(join(clone, 'dist'))
  writeFileSync(join(clone, 'dist', 'index.js'), 'export {}\n')
  git(clone, 'add', 'dist')
  commitPackage('1.2.3')
})

afterEach(() => {
  rmSync(base, { recursive: true, force: true })
})

describe('release.sh', () => {
  it('tags locally and moves the major tag', () => {
    const result = release('v1.2.3')

    expect(result.output).toContain('Tagged v1.2.3 and moved v1')
    expect(result.status).toBe(0)
    expect(git(clone, 'cat-file', '-t', 'v1.2.3')).toBe('tag')
    expect(git(clone, 'rev-parse', 'v1^{commit}')).toBe(git(clone, 'rev-parse', 'HEAD'))
    expect(git(clone, 'rev-parse', 'v1.2.3^{commit}')).toBe(git(clone, 'rev-parse', 'HEAD'))
    expect(result.output).toContain('Not pushed.')
    expect(git(origin, 'tag', '--list')).toBe('')
  })

  it('pushes both tags with --push', () => {
    git(clone, 'push', '-q', 'origin', 'main')
    const result = release('v1.2.3', '--push')

    expect(result.status).toBe(0)
    expect(git(origin, 'tag', '--list').split('\n').sort()).toEqual(['v1', 'v1.2.3'])
    expect(git(origin, 'rev-parse', 'v1^{commit}')).toBe(git(clone, 'rev-parse', 'HEAD'))
  })

  it('moves the major tag on the next release', () => {
    expect(release('v1.2.3', '--push').status).toBe(0)
    const first = git(clone, 'rev-parse', 'HEAD')
    commitPackage('1.2.4')

    const result = release('v1.2.4', '--push')

    expect(result.status).toBe(0)
    expect(git(origin, 'rev-parse', 'v1^{commit}')).toBe(git(clone, 'rev-parse', 'HEAD'))
    expect(git(origin, 'rev-parse', 'v1.2.3^{commit}')).toBe(first)
  })

  it('suggests a branch for the previous major', () => {
    expect(release('v1.2.3').status).toBe(0)
    commitPackage('2.0.0')

    const result = release('v2.0.0')

    expect(result.status).toBe(0)
    expect(result.output).toContain('git branch releases/v1 v1')
    expect(git(clone, 'rev-parse', 'v2^{commit}')).toBe(git(clone, 'rev-parse', 'HEAD'))
  })

  const rejected: [string, string[], RegExp][] = [
    ['a tag without patch', ['v1.2'], /invalid tag 'v1\.2': expected vMAJOR\.MINOR\.PATCH/],
    ['a tag without v', ['1.2.3'], /invalid tag '1\.2\.3'/],
    ['an unknown option', ['v1.2.3', '--force'], /Usage: scripts\/release\.sh/],
    ['a version package.json lacks', ['v1.2.5'], /package\.json has version 1\.2\.3; run 'npm version --no-git-tag-version 1\.2\.5'/]
  ]

  it.each(rejected)('rejects %s', (_name, args, message) => {
    const result = release(...args)

    expect(result.output).toMatch(message)
    expect(result.status).not.toBe(0)
    expect(git(clone, 'tag', '--list')).toBe('')
  })

  it('rejects a branch other than main', () => {
    git(clone, 'switch', '-q', '-c', 'feature')

    const result = release('v1.2.3')

    expect(result.output).toContain("the current branch is 'feature'")
    expect(result.status).toBe(1)
  })

  it('rejects uncommitted changes', () => {
    writeFileSync(join(clone, 'notes.txt'), 'draft\n')

    const result = release('v1.2.3')

    expect(result.output).toContain('the work tree has uncommitted changes')
    expect(result.status).toBe(1)
  })

  it('rejects an existing tag', () => {
    expect(release('v1.2.3').status).toBe(0)

    const result = release('v1.2.3')

    expect(result.output).toContain('tag v1.2.3 already exists')
    expect(result.status).toBe(1)
  })

  it('rejects a version older than the latest', () => {
    expect(release('v1.2.3').status).toBe(0)
    commitPackage('1.2.2')

    const result = release('v1.2.2')

    expect(result.output).toContain('v1.2.2 is not newer than the latest release v1.2.3')
    expect(result.status).toBe(1)
  })

  it('rejects a dist/ the build changes', () => {
    commitPackage('1.2.3', "node -e \"require('fs').writeFileSync('dist/chunk.js', '')\"")

    const result = release('v1.2.3')

    expect(result.output).toContain('?? dist/chunk.js')
    expect(result.output).toContain('dist/ differs from a fresh build; commit dist/ first')
    expect(result.status).toBe(1)
    expect(git(clone, 'tag', '--list')).toBe('')
  })
})
