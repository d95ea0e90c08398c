// Secrets never leave the action. Each run scans every byte the bundled action wrote (stdout,
// stderr, the summary, the outputs, the workspace files and every object in the emulated
// repository) for the Hub password, every token the Hub issued and the GitHub token. The
// `::add-mask::` lines are the one exception, because they hand the secrets to the runner.

import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'

import { startGitHubEmulator, type GitHubEmulator } from '../../simulator/github/index.js'
import type { FaultSpec } from '../../simulator/hub/faults.js'
import { startHubSimulator, type HubSimulator } from '../../simulator/hub/index.js'
import { buildAction, runAction, type ActionRun } from './action-run.js'

const PASSWORD = 'pw-Secret!42-long-enough'
const GITHUB_TOKEN = 'ghs_secretScanToken_abcdef0123456789'

let entry: string
const stops: Array<() => Promise<void>> = []

beforeAll(async () => {
  entry = await buildAction()
}, 300_000)

afterAll(async () => {
  await Promise.all(stops.map((stop) => stop()))
})

interface SecretRun {
  run: ActionRun
  sim: HubSimulator
  github: GitHubEmulator
}

/** Runs one committed round; the emulator accepts `acceptedToken`, the action sends GITHUB_TOKEN. */
async function runWithSecrets(scenario: string, faults: FaultSpec, acceptedToken = GITHUB_TOKEN): Promise<SecretRun> {
  const sim = await startHubSimulator({ timeScale: 0.01, port: 0, scenario, faults, password: PASSWORD })
  stops.push(() => sim.stop())
  const github = await startGitHubEmulator({ owner: 'flame-org', repo: 'status', branch: 'main', token: acceptedToken })
  stops.push(() => github.stop())

  const run = await runAction(
    entry,
    {
      username: sim.username,
      password: PASSWORD,
      'auth-url': sim.authUrl,
      'core-url': sim.coreUrl,
      'storage-url': sim.storageUrl,
      nodes: 'aggregator-1, default-1, default-2',
      'poll-interval': '0.05',
      'bucket-timeout': '10',
      'build-timeout': '10',
      'distribution-timeout': '10',
      'execution-timeout': '20',
      'results-timeout': '10',
      commit: 'true',
      'github-token': GITHUB_TOKEN
    },
    { env: { GITHUB_API_URL: github.url, GITHUB_REPOSITORY: 'flame-org/status', GITHUB_REF: 'refs/heads/main' } }
  )
  return { run, sim, github }
}

/** Collects every byte the run left behind, as texts keyed by where they were found. */
function writtenTexts({ run, github }: SecretRun): Map<string, string> {
  const texts = new Map<string, string>()
  texts.set('stdout', run.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::')).join('\n'))
  texts.set('stderr', run.stderr)
  for (const file of readdirSync(run.workspace, { recursive: true, withFileTypes: true })) {
    if (file.isFile()) {
      const filePath = path.join(file.parentPath, file.name)
      texts.set(path.relative(run.workspace, filePath), readFileSync(filePath, 'latin1'))
    }
  }

  // Every object of the emulated repository: commits (messages), trees and blobs.
  const git = (...args: string[]): string => execFileSync('git', ['--git-dir', github.repoDir, ...args], { encoding: 'latin1' })
  const objects = git('cat-file', '--batch-all-objects', '--batch-check=%(objectname) %(objecttype)')
  for (const line of objects.split('\n').filter((row) => row !== '')) {
    const [sha, type] = line.split(' ')
    texts.set(`git ${type} ${sha}`, git('cat-file', type!, sha!))
  }
  return texts
}

function expectNoSecrets(secretRun: SecretRun): void {
  const tokens = secretRun.sim.issuedTokens()
  const secrets = [PASSWORD, GITHUB_TOKEN, ...tokens]
  const texts = writtenTexts(secretRun)

  const leaks: string[] = []
  for (const [name, text] of texts) {
    for (const secret of secrets) if (text.includes(secret)) leaks.push(`${name} contains ${secret.slice(0, 6)}…`)
  }
  expect(leaks).toEqual([])

  // The runner masks what the action registers: the password and the GitHub token.
  expect(secretRun.run.stdout).toContain(`::add-mask::${PASSWORD}`)
  expect(secretRun.run.stdout).toContain(`::add-mask::${GITHUB_TOKEN}`)
}

describe('secrets in everything the action writes', () => {
  test.concurrent('healthy round with token renewals', async () => {
    // Tokens stop working after 1 real second, so the round renews them and issues several.
    const secretRun = await runWithSecrets('healthy', { tokenRevokedAfterSeconds: 100 })

    expect(secretRun.run.outputs.get('status')).toBe('operational')
    expect(secretRun.sim.issuedTokens().length).toBeGreaterThan(2)
    expect(secretRun.run.outputs.get('commit-sha')).toMatch(/^[0-9a-f]{40}$/)
    expectNoSecrets(secretRun)
  }, 120_000)

  test.concurrent('failed login', async () => {
    const secretRun = await runWithSecrets('bad-credentials', {})

    expect(secretRun.run.outputs.get('status')).toBe('major_outage')
    expect(secretRun.run.stdout).toContain('bad credentials')
    expectNoSecrets(secretRun)
  }, 120_000)

  test.concurrent('failed Hub calls', async () => {
    // A 403 on the project, a rejected configurationLock and 5xx bursts on the way.
    const secretRun = await runWithSecrets('setup-fails', { serverErrors: { burst: 1, every: 4, status: 503 } })

    expect(secretRun.run.stdout).toContain('HTTP 403')
    expectNoSecrets(secretRun)
  }, 120_000)

  test.concurrent('GitHub rejects the token', async () => {
    const secretRun = await runWithSecrets('build-fails', {}, 'ghs_another_token_the_emulator_wants')

    expect(secretRun.run.exitCode).toBe(1)
    expect(secretRun.run.stdout).toContain('Bad credentials')
    expectNoSecrets(secretRun)
  }, 120_000)
})
