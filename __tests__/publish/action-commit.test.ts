// The built action's commit step end to end: dist/index.js against the Hub simulator and the
// GitHub API emulator. A failed commit fails the step but keeps the lines; a cancelled job
// still commits before the runner would send SIGTERM (7.5 s after SIGINT).

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { type GitHubEmulator, startGitHubEmulator } from '../../simulator/github/index.js'
import { startHubSimulator } from '../../simulator/hub/index.js'
import { buildDistIfStale, type DistRun, runDist } from './dist-run.js'
import { git, show } from './helpers.js'

const TOKEN = 'action-token'
/** The runner sends SIGTERM this long after SIGINT, and kills the step 2.5 s later. */
const SIGTERM_AFTER_MS = 7500
/** The upload takes about 0.1 s at time scale 0.01, so after 1.5 s the pairs wait for the stalled build. */
const CANCEL_DURING_BUILD = { text: '::group::Phase setup', delayMs: 1500 }

let scratch: string

beforeAll(() => {
  buildDistIfStale()
  scratch = mkdtempSync(path.join(tmpdir(), 'action-commit-'))
}, 120_000)

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true })
})

async function runRound(
  emulator: GitHubEmulator,
  scenario: string,
  options: { inputs?: Record<string, string>; env?: Record<string, string>; cancel?: boolean } = {}
): Promise<DistRun> {
  const hub = await startHubSimulator({ era: 'e4', timeScale: 0.01, scenario, port: 0 })
  try {
    return await runDist({
      scratch,
      hub,
      emulator,
      inputs: { 'github-token': TOKEN, 'build-timeout': '30', 'execution-timeout': '30', ...options.inputs },
      env: { GITHUB_RUN_ID: '9001', ...options.env },
      interrupt: options.cancel ? CANCEL_DURING_BUILD : undefined
    })
  } finally {
    await hub.stop()
  }
}

describe('commit step of the built action', () => {
  test('healthy round commits and links', async () => {
    const emulator = await startGitHubEmulator({ token: TOKEN })
    try {
      const run = await runRound(emulator, 'healthy')
      const sha = git(emulator, 'rev-parse', 'main')

      expect(run.exitCode).toBe(0)
      expect(run.outputs.get('commit-sha')).toBe(sha)
      expect(run.outputs.get('commit-verified')).toBe('true')
      expect(run.summary).toContain(`/commit/${sha}"><code>${sha.slice(0, 7)}</code></a> on <code>main</code> (verified)`)
      expect(git(emulator, 'log', '-1', '--format=%s', 'main')).toBe(
        '[Automated] Update E2E health check logs [skip ci] (status: operational)'
      )
      expect(readFileSync(path.join(run.workspace, 'docs/logs/login_report.log'), 'utf8')).toBe(
        show(emulator, 'docs/logs/login_report.log')
      )
    } finally {
      await emulator.stop()
    }
  }, 60_000)

  test('failed commit fails the step', async () => {
    const emulator = await startGitHubEmulator({ token: TOKEN })
    emulator.faults.add({ endpoint: 'updateRef', fault: { kind: 'protected-branch', rule: 'ruleset' } })
    try {
      const run = await runRound(emulator, 'healthy')
      const workspaceLog = readFileSync(path.join(run.workspace, 'docs/logs/login_report.log'), 'utf8')

      expect(run.exitCode).toBe(1)
      expect(run.output).toContain("::error::The history was not committed to branch 'main' (protected-branch)")
      expect(run.outputs.get('status')).toBe('operational')
      expect(run.outputs.get('commit-sha')).toBe('')
      expect(run.outputs.get('commit-verified')).toBe('false')
      expect(run.summary).toContain('<strong>Commit failed</strong>')
      expect(run.summary).toContain(`docs/logs/login_report.log: ${workspaceLog.trimEnd()}`)
      expect(workspaceLog).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d, success, \d+\.\d\d\n$/)
      expect(git(emulator, 'rev-list', '--count', 'main')).toBe('1')
    } finally {
      await emulator.stop()
    }
  }, 60_000)

  test('bad token names the input', async () => {
    const emulator = await startGitHubEmulator({ token: TOKEN })
    try {
      const run = await runRound(emulator, 'healthy', { inputs: { 'github-token': 'expired-token' } })

      expect(run.exitCode).toBe(1)
      expect(run.output).toContain('(bad-credentials): GitHub rejected the token (401 Bad credentials).')
      // The runner masks the token from its add-mask command on; no other line may carry it.
      const unmasked = run.output.split('\n').filter((line) => !line.startsWith('::add-mask::'))
      expect(unmasked.join('\n')).not.toContain('expired-token')
      expect(run.output).toContain('::add-mask::expired-token')
    } finally {
      await emulator.stop()
    }
  }, 60_000)

  test('tag ref without branch is invalid', async () => {
    const emulator = await startGitHubEmulator({ token: TOKEN })
    try {
      const run = await runRound(emulator, 'healthy', { env: { GITHUB_REF: 'refs/tags/v1.0.0' } })

      expect(run.exitCode).toBe(1)
      expect(run.output).toContain("::error title=Invalid input::The workflow runs on 'refs/tags/v1.0.0', which is not a branch.")
      expect(emulator.stats().calls.getRef).toBeUndefined()
    } finally {
      await emulator.stop()
    }
  }, 60_000)

  test('cancelled round commits in time', async () => {
    const emulator = await startGitHubEmulator({ token: TOKEN })
    try {
      const run = await runRound(emulator, 'build-stalls', { cancel: true })

      expect(run.output).toContain('Received SIGINT; cancelling the round')
      expect(run.exitAfterSigintMs).toBeLessThan(SIGTERM_AFTER_MS)
      expect(run.outputs.get('commit-sha')).toBe(git(emulator, 'rev-parse', 'main'))
      expect(git(emulator, 'log', '-1', '--format=%B', 'main')).toContain('Run: 9001/1')
      expect(show(emulator, 'docs/logs/execute_report.log')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d, unknown, \n$/)
      expect(show(emulator, 'docs/logs/upload_report.log')).toMatch(/, success, \d+\.\d\d\n$/)
    } finally {
      await emulator.stop()
    }
  }, 60_000)

  test('cancelled round retries a moved branch', async () => {
    const emulator = await startGitHubEmulator({ token: TOKEN })
    emulator.faults.add({ endpoint: 'updateRef', fault: { kind: 'competing-commit' } })
    try {
      const run = await runRound(emulator, 'build-stalls', { cancel: true })

      expect(run.exitAfterSigintMs).toBeLessThan(SIGTERM_AFTER_MS)
      expect(emulator.stats().calls.updateRef).toBe(2)
      expect(git(emulator, 'log', '--format=%s', 'main').split('\n')).toHaveLength(3)
      expect(run.outputs.get('commit-sha')).toBe(git(emulator, 'rev-parse', 'main'))
      expect(emulator.stats().forcedUpdates).toBe(0)
    } finally {
      await emulator.stop()
    }
  }, 60_000)
})
