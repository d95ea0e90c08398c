// Commit cost: GitHub API calls and wall time of one commit of the history logs through the
// action's commit loop, against the GitHub API emulator (a real bare git repository), alone
// and with 10 writers racing for the same branch.

import { commitChangeSets, type CommitOutcome } from '../src/publish/commit.js'
import { historyChangeSet } from '../src/publish/history-changes.js'
import { createGitHubClient, type GitHubClient, type PublishLog } from '../src/publish/octokit.js'
import { ACTION_MAX_ATTEMPTS } from '../src/publish/publish.js'
import { startGitHubEmulator, type GitHubEmulator } from '../simulator/github/index.js'
import { atMost, figureOf, type Figure } from './figures.js'

const LOG_DIR = 'docs/logs'
/** Lines already in each seeded log, so the reads carry a realistic file size. */
const SEEDED_LINES = 1000
const RACING_WRITERS = 10

const silentLog: PublishLog = { info: () => undefined, warning: () => undefined, debug: () => undefined }

function logKeys(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `node_default-${index + 1}`)
}

/** History files with `SEEDED_LINES` lines each, in the action's line format. */
function seedLogs(keys: string[]): Record<string, string> {
  const start = Date.UTC(2026, 0, 1)
  const lines = Array.from({ length: SEEDED_LINES }, (_, index) => {
    const stamp = new Date(start + index * 30 * 60_000).toISOString().slice(0, 16).replace('T', ' ')
    return `${stamp}, success, 84.20\n`
  }).join('')
  return Object.fromEntries([['README.md', '# Status\n'], ...keys.map((key) => [`${LOG_DIR}/${key}_report.log`, lines])])
}

function totalCalls(emulator: GitHubEmulator): number {
  return Object.values(emulator.stats().calls).reduce((sum, count) => sum + (count ?? 0), 0)
}

/**
 * Creates the action's Octokit client for the emulator. Its `::add-mask::` workflow command for
 * the placeholder token is dropped, because it would land in the middle of the printed table.
 */
function emulatorClient(emulator: GitHubEmulator): GitHubClient {
  const write = process.stdout.write
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) =>
    String(chunk).startsWith('::add-mask::') ? true : write.call(process.stdout, chunk, ...rest)) as typeof process.stdout.write
  try {
    return createGitHubClient({ token: 'bench-token', baseUrl: emulator.url, log: silentLog })
  } finally {
    process.stdout.write = write
  }
}

/** Commits one line per key the way the action does: throttled client, 10 attempts, one change set. */
function commitRound(emulator: GitHubEmulator, keys: string[], marker: string, line: string): Promise<CommitOutcome> {
  const octokit = emulatorClient(emulator)
  return commitChangeSets({
    octokit,
    owner: emulator.owner,
    repo: emulator.repo,
    branch: emulator.branch,
    message: '[Automated] Update E2E health check logs [skip ci]',
    runMarker: marker,
    changeSets: [historyChangeSet({ logDir: LOG_DIR, lines: new Map(keys.map((key) => [key, line])), maxLines: 2000 })],
    maxAttempts: ACTION_MAX_ATTEMPTS,
    log: silentLog
  })
}

function roundLine(index: number): string {
  const stamp = new Date(Date.UTC(2026, 6, 1) + index * 60_000).toISOString().slice(0, 16).replace('T', ' ')
  return `${stamp}, success, ${(80 + index / 100).toFixed(2)}`
}

async function measureUncontended(fileCount: number, runs: number): Promise<Figure[]> {
  const keys = logKeys(fileCount)
  const emulator = await startGitHubEmulator({ port: 0, seed: seedLogs(keys) })
  const calls: number[] = []
  const wallMs: number[] = []
  try {
    for (let run = 0; run < runs; run++) {
      const before = totalCalls(emulator)
      const started = performance.now()
      await commitRound(emulator, keys, `bench/${fileCount}/${run}`, roundLine(run))
      wallMs.push(performance.now() - started)
      calls.push(totalCalls(emulator) - before)
    }
  } finally {
    await emulator.stop()
  }
  return [
    figureOf(`Commit of ${fileCount} files: GitHub API calls`, calls, 'calls', atMost(6)),
    figureOf(`Commit of ${fileCount} files: wall time (writes spaced 1 s by throttling)`, wallMs, 'ms')
  ]
}

async function measureRacing(): Promise<Figure[]> {
  const keys = logKeys(9)
  const emulator = await startGitHubEmulator({ port: 0, seed: seedLogs(keys) })
  try {
    const before = totalCalls(emulator)
    const started = performance.now()
    const outcomes = await Promise.allSettled(
      Array.from({ length: RACING_WRITERS }, (_, writer) => commitRound(emulator, keys, `bench/race/${writer}`, roundLine(writer)))
    )
    const wallMs = performance.now() - started
    const calls = totalCalls(emulator) - before

    const attempts = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value.attempts] : []))
    const failed = outcomes.length - attempts.length
    const note = failed === 0 ? undefined : `${failed} of ${RACING_WRITERS} writers gave up`
    return [
      figureOf(`${RACING_WRITERS} racing writers: attempts per commit`, attempts, 'attempts', undefined, { note }),
      figureOf(`${RACING_WRITERS} racing writers: GitHub API calls per commit`, [calls / RACING_WRITERS], 'calls'),
      figureOf(`${RACING_WRITERS} racing writers: wall time until all committed`, [wallMs], 'ms')
    ]
  } finally {
    await emulator.stop()
  }
}

/** Measures commits of 9 files `runs` times; with `full`, also one commit of 300 files and the race. */
export async function measureCommitCost(options: { runs: number; full: boolean }): Promise<Figure[]> {
  const figures = await measureUncontended(9, options.runs)
  if (!options.full) return figures
  return [...figures, ...(await measureUncontended(300, 1)), ...(await measureRacing())]
}
