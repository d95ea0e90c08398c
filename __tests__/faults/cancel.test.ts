// Cancellation of the bundled action mid-round. A runner sends SIGINT, then SIGTERM 7.5 s
// later, then kills the process 2.5 s after that; a job's timeout-minutes takes the same path.
// The action must record what finished, mark the interrupted steps unknown ("cancelled"),
// write and commit the lines and clean up its analyses before the kill.

import { execFileSync } from 'node:child_process'

import { afterEach, beforeAll, describe, expect, test } from '@jest/globals'

import { startGitHubEmulator, type GitHubEmulator } from '../../simulator/github/index.js'
import { startHubSimulator, type HubSimulator, type HubSimulatorOptions } from '../../simulator/hub/index.js'
import type { RoundReport } from '../../src/report/outputs.js'
import { buildAction, runAction, type ActionRun, type PlannedSignal } from './action-run.js'

const GITHUB_TOKEN = 'ghs_cancel_test_token_0123456789'
/** The runner's grace periods: SIGTERM 7.5 s after SIGINT, the kill 2.5 s after SIGTERM. */
const SIGTERM_AFTER_MS = 7500
const KILL_AFTER_MS = 10_000

let entry: string
const stops: Array<() => Promise<void>> = []

beforeAll(async () => {
  entry = await buildAction()
}, 300_000)

afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()))
})

async function startHub(options: HubSimulatorOptions): Promise<HubSimulator> {
  const sim = await startHubSimulator({ timeScale: 0.01, port: 0, ...options })
  stops.push(() => sim.stop())
  return sim
}

async function startGitHub(): Promise<GitHubEmulator> {
  const emulator = await startGitHubEmulator({ owner: 'flame-org', repo: 'status', branch: 'main', token: GITHUB_TOKEN })
  stops.push(() => emulator.stop())
  return emulator
}

/** Runs the action against `sim` (and `github` when given), sending `signals` as planned. */
async function runCancelled(
  sim: HubSimulator,
  github: GitHubEmulator | null,
  inputs: Record<string, string>,
  signals: PlannedSignal[]
): Promise<ActionRun> {
  const commit: { inputs: Record<string, string>; env: Record<string, string> } =
    github === null
      ? { inputs: { commit: 'false' }, env: {} }
      : {
          inputs: { commit: 'true', 'github-token': GITHUB_TOKEN },
          env: { GITHUB_API_URL: github.url, GITHUB_REPOSITORY: 'flame-org/status', GITHUB_REF: 'refs/heads/main' }
        }
  return runAction(
    entry,
    {
      username: sim.username,
      password: sim.password,
      'auth-url': sim.authUrl,
      'core-url': sim.coreUrl,
      'storage-url': sim.storageUrl,
      nodes: 'aggregator-1, default-1, default-2',
      'poll-interval': '0.05',
      'build-timeout': '30',
      'execution-timeout': '60',
      'status-page': 'off',
      ...commit.inputs,
      ...inputs
    },
    { env: commit.env, signals }
  )
}

/** Status field of each history file's last line, keyed by history key. */
function lineStatuses(run: ActionRun): Record<string, string> {
  const statuses: Record<string, string> = {}
  for (const [name, content] of run.logs) {
    const lines = content.split('\n').filter((line) => line !== '')
    statuses[name.replace(/_report\.log$/, '')] = lines[lines.length - 1]!.split(',')[1]!.trim()
  }
  return statuses
}

function committedFile(github: GitHubEmulator, file: string): string {
  return execFileSync('git', ['--git-dir', github.repoDir, 'show', `main:${file}`], { encoding: 'utf8' })
}

function reportOf(run: ActionRun): RoundReport {
  return JSON.parse(run.outputs.get('report')!) as RoundReport
}

describe('cancelling the bundled action', () => {
  test('SIGINT after one pair passed', async () => {
    // default-2 starts 50 times slower, so its pair is still executing when default-1 has passed.
    const sim = await startHub({ faults: { nodes: { 'default-2': { slowFactor: 50 } } } })
    const github = await startGitHub()

    const run = await runCancelled(sim, github, { 'keep-analyses': 'on-failure' }, [
      { text: 'Pair with default-1: passed', delayMs: 300, signal: 'SIGINT' }
    ])

    // The action ended on its own, well before a runner would send SIGTERM.
    expect(run.killedBy).toBeNull()
    expect(run.exitCode).toBe(0)
    expect(run.msFromFirstSignal).toBeLessThan(SIGTERM_AFTER_MS)
    expect(run.stdout).toContain('Received SIGINT; cancelling the round')

    // default-1's steps stay as they finished, default-2 is unknown because it was cancelled.
    expect(lineStatuses(run)).toEqual({
      login: 'success',
      upload: 'success',
      distribute: 'success',
      execute: 'success',
      results: 'success',
      latency: 'success',
      'node_aggregator-1': 'success',
      'node_default-1': 'success',
      'node_default-2': 'unknown'
    })
    const report = reportOf(run)
    expect(report.cancelled).toBe(true)
    expect(report.status).toBe('partial_outage')
    const slowPair = report.pairs.find((pair) => pair.node === 'default-2')!
    expect(slowPair.steps.upload.status).toBe('success')
    expect(slowPair.steps.execute).toEqual({ status: 'unknown', seconds: null, reason: 'cancelled' })
    expect(slowPair.steps.latency).toEqual({ status: 'unknown', seconds: null, reason: 'cancelled' })
    expect(report.nodes['default-2']?.reason).toBe('execute: cancelled')
    expect(run.summary).toContain('<strong>The round was cancelled</strong>')

    // The lines were committed, and on-failure deleted both analyses: one passed, one was cancelled.
    expect(committedFile(github, 'docs/logs/node_default-2_report.log')).toBe(run.logs.get('node_default-2_report.log'))
    expect(committedFile(github, 'docs/logs/login_report.log')).toBe(run.logs.get('login_report.log'))
    expect(report.pairs.map((pair) => pair.cleanup)).toEqual(['deleted', 'deleted'])
    expect(sim.world.analyses.size).toBe(0)
  }, 90_000)

  test('SIGTERM alone during the build', async () => {
    const sim = await startHub({ scenario: 'build-stalls' })
    const github = await startGitHub()

    const run = await runCancelled(sim, github, { 'keep-analyses': 'always' }, [
      { text: '::group::Phase setup', delayMs: 1500, signal: 'SIGTERM' }
    ])

    expect(run.killedBy).toBeNull()
    expect(run.msFromFirstSignal).toBeLessThan(KILL_AFTER_MS - SIGTERM_AFTER_MS)
    expect(run.stdout).toContain('Received SIGTERM; cancelling the round')
    expect(lineStatuses(run)).toEqual({
      login: 'success',
      upload: 'success',
      distribute: 'unknown',
      execute: 'unknown',
      results: 'unknown',
      latency: 'unknown',
      'node_aggregator-1': 'unknown',
      'node_default-1': 'unknown',
      'node_default-2': 'unknown'
    })
    const report = reportOf(run)
    expect(report.steps.distribute.reasons).toEqual(['default-1: cancelled', 'default-2: cancelled'])
    // Nothing failed and no pair passed: the round measured nothing, which is no outage.
    expect(report.status).toBe('no_data')

    // keep-analyses: always keeps both analyses, also after a cancellation.
    expect(report.pairs.map((pair) => pair.cleanup)).toEqual(['kept', 'kept'])
    expect(sim.world.analyses.size).toBe(2)
    expect(committedFile(github, 'docs/logs/distribute_report.log')).toBe(run.logs.get('distribute_report.log'))
  }, 90_000)

  test('GitHub hanging after the signal', async () => {
    // Every ref update hangs for 60 s, so only the commit's own budget after a cancellation
    // lets the action finish before the runner's kill.
    const sim = await startHub({ scenario: 'build-stalls' })
    const github = await startGitHub()
    github.faults.add({ endpoint: 'updateRef', fault: { kind: 'slow-response', delayMs: 60_000 }, times: Infinity })

    const run = await runCancelled(sim, github, {}, [
      { text: '::group::Phase setup', delayMs: 1500, signal: 'SIGINT' },
      { text: '', delayMs: SIGTERM_AFTER_MS, signal: 'SIGTERM' },
      { text: '', delayMs: KILL_AFTER_MS - SIGTERM_AFTER_MS, signal: 'SIGKILL' }
    ])

    expect(run.killedBy).toBeNull()
    expect(run.msFromFirstSignal).toBeLessThan(KILL_AFTER_MS)
    // The lines are in the workspace and the outputs are set, but the step fails: nothing was committed.
    expect(run.logs.size).toBe(9)
    expect(run.outputs.get('status')).toBe('no_data')
    expect(run.outputs.get('commit-sha')).toBe('')
    expect(run.exitCode).toBe(1)
    expect(sim.world.analyses.size).toBe(0)
  }, 90_000)

  test('timeout-minutes shorter than the budgets', async () => {
    // A job timeout sends the same SIGINT, SIGTERM and kill as a cancellation. The build
    // budget of 600 s is far longer than the job has left, so only the signals end the round.
    const sim = await startHub({ scenario: 'build-stalls' })

    const run = await runCancelled(sim, null, { 'build-timeout': '600', 'fail-on': 'major-outage' }, [
      { text: '::group::Phase setup', delayMs: 1500, signal: 'SIGINT' },
      { text: '', delayMs: SIGTERM_AFTER_MS, signal: 'SIGTERM' },
      { text: '', delayMs: KILL_AFTER_MS - SIGTERM_AFTER_MS, signal: 'SIGKILL' }
    ])

    expect(run.killedBy).toBeNull()
    expect(run.msFromFirstSignal).toBeLessThan(SIGTERM_AFTER_MS)
    // Every history key got its line. The round measured nothing, so its status is no_data,
    // which no fail-on value fails on; the runner marks the job as timed out by itself.
    expect(run.logs.size).toBe(9)
    expect(lineStatuses(run).distribute).toBe('unknown')
    expect(run.outputs.get('status')).toBe('no_data')
    expect(run.exitCode).toBe(0)
    // keep-analyses: on-failure deletes cancelled analyses, because nothing failed in them.
    expect(sim.world.analyses.size).toBe(0)
  }, 90_000)
})
