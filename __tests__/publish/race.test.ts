// Ten rounds of the built action (node dist/index.js) at once, against one Hub simulator and
// one GitHub API emulator, all committing to the same branch. Every round's lines must land
// exactly once, the logs must stay within max-log-lines, and history must stay linear.

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { type GitHubEmulator, startGitHubEmulator } from '../../simulator/github/index.js'
import { startHubSimulator } from '../../simulator/hub/index.js'
import { buildDistIfStale, type DistRun, runDist } from './dist-run.js'
import { git, show } from './helpers.js'

const RUNS = 10
const MAX_LOG_LINES = 20
const SEED_LINES = 15
const KEYS = [
  'login',
  'upload',
  'distribute',
  'execute',
  'results',
  'latency',
  'node_aggregator-1',
  'node_default-1',
  'node_default-2'
]
const TOKEN = 'race-token'

let scratch: string
let emulator: GitHubEmulator
let results: DistRun[]

function runId(index: number): string {
  return String(5000 + index)
}

function seedLog(): string {
  let content = ''
  for (let minute = 0; minute < SEED_LINES; minute += 1) {
    content += `2026-11-01 00:${String(minute).padStart(2, '0')}, success, 1.00\n`
  }
  return content
}

beforeAll(async () => {
  buildDistIfStale()
  scratch = mkdtempSync(path.join(tmpdir(), 'commit-race-'))

  const seed: Record<string, string> = { '.github/workflows/flame-status.yml': 'on: schedule\n' }
  for (const key of KEYS) seed[`docs/logs/${key}_report.log`] = seedLog()
  emulator = await startGitHubEmulator({ seed, token: TOKEN })

  const hub = await startHubSimulator({ era: 'e4', timeScale: 0.01, scenario: 'healthy', port: 0 })
  try {
    results = await Promise.all(
      Array.from({ length: RUNS }, (_, index) =>
        runDist({
          scratch,
          hub,
          emulator,
          inputs: {
            'login-timeout': '20',
            'bucket-timeout': '20',
            'build-timeout': '20',
            'distribution-timeout': '20',
            'execution-timeout': '30',
            'results-timeout': '20',
            'max-log-lines': String(MAX_LOG_LINES),
            'github-token': TOKEN
          },
          env: { GITHUB_RUN_ID: runId(index) }
        })
      )
    )
  } finally {
    await hub.stop()
  }
}, 480_000)

afterAll(async () => {
  await emulator?.stop()
  rmSync(scratch, { recursive: true, force: true })
})

describe('ten concurrent rounds on one branch', () => {
  test('every run succeeds', () => {
    results.forEach((result, index) => {
      // The output tail appears in the failure message only when the run failed.
      const tail = result.exitCode === 0 ? '' : result.output.slice(-2000)
      expect({ run: runId(index), exitCode: result.exitCode, tail }).toEqual({ run: runId(index), exitCode: 0, tail: '' })
    })
  })

  test('each run commits once', () => {
    const messages = git(emulator, 'log', '--format=%B%x00', 'main')
    results.forEach((result, index) => {
      const sha = result.outputs.get('commit-sha')
      expect(sha).toMatch(/^[0-9a-f]{40}$/)
      expect(messages.split(`Run: ${runId(index)}/1\n`)).toHaveLength(2)
      expect(git(emulator, 'log', '-1', '--format=%B', sha!)).toContain(`Run: ${runId(index)}/1`)
    })
    expect(git(emulator, 'rev-list', '--count', 'main')).toBe(String(RUNS + 1))
  })

  test('each commit adds one line per log', () => {
    const shas = git(emulator, 'rev-list', 'main').split('\n').slice(0, RUNS)
    for (const sha of shas) {
      // Other files (status.json, badges) may change too; only the logs are counted here.
      const logRows = git(emulator, 'show', '--numstat', '--format=', sha)
        .split('\n')
        .filter((row) => row.endsWith('_report.log'))
      expect(logRows).toHaveLength(KEYS.length)
      for (const row of logRows) expect(row.split('\t')[0]).toBe('1')
    }
  })

  test('logs keep every new line within the cap', () => {
    for (const key of KEYS) {
      const lines = show(emulator, `docs/logs/${key}_report.log`).split('\n').slice(0, -1)
      const seeded = lines.filter((line) => line.startsWith('2026-11-01 '))

      expect(lines).toHaveLength(MAX_LOG_LINES)
      expect(lines.length - seeded.length).toBe(RUNS)
      expect(seeded).toHaveLength(MAX_LOG_LINES - RUNS)
      expect(seeded[0]).toBe(`2026-11-01 00:${String(SEED_LINES + RUNS - MAX_LOG_LINES).padStart(2, '0')}, success, 1.00`)
    }
  })

  test('history is linear and never forced', () => {
    expect(git(emulator, 'rev-list', '--merges', 'main')).toBe('')
    expect(() => git(emulator, 'fsck', '--strict', '--no-dangling')).not.toThrow()
    expect(emulator.stats().forcedUpdates).toBe(0)
    expect(show(emulator, '.github/workflows/flame-status.yml')).toBe('on: schedule\n')
  })

  test('workspaces match their commits', () => {
    for (const result of results) {
      const sha = result.outputs.get('commit-sha')!
      const workspaceLog = readFileSync(path.join(result.workspace, 'docs', 'logs', 'login_report.log'), 'utf8')
      expect(workspaceLog).toBe(show(emulator, 'docs/logs/login_report.log', sha))
    }
  })
})
