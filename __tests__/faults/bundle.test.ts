// A handful of fault matrix cases through the bundled action, as a runner runs it: the
// history files, the outputs file, the summary file and the exit code must agree with the
// in-process matrix.

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'

import type { FaultSpec } from '../../simulator/hub/faults.js'
import { startHubSimulator, type HubSimulator } from '../../simulator/hub/index.js'
import { summaryToText } from '../../simulator/runner-files.js'
import { buildAction, errorLines, runAction, type ActionRun } from './action-run.js'

const NODES = ['aggregator-1', 'default-1', 'default-2']
const KEYS = ['login', 'upload', 'distribute', 'execute', 'results', 'latency', ...NODES.map((name) => `node_${name}`)]
const STATUS_OF: Record<string, string> = { S: 'success', F: 'failed', U: 'unknown' }

let entry: string
const sims: HubSimulator[] = []

beforeAll(async () => {
  entry = await buildAction()
}, 300_000)

afterAll(async () => {
  await Promise.all(sims.map((sim) => sim.stop()))
})

async function runFault(scenario: string, faults: FaultSpec, inputs: Record<string, string> = {}): Promise<ActionRun> {
  const sim = await startHubSimulator({ timeScale: 0.01, port: 0, scenario, faults })
  sims.push(sim)
  return runAction(entry, {
    username: sim.username,
    password: sim.password,
    'auth-url': sim.authUrl,
    'core-url': sim.coreUrl,
    'storage-url': sim.storageUrl,
    nodes: NODES.join(', '),
    'poll-interval': '0.05',
    'login-timeout': '10',
    'bucket-timeout': '10',
    'build-timeout': '10',
    'distribution-timeout': '10',
    'execution-timeout': '20',
    'results-timeout': '10',
    commit: 'false',
    ...inputs
  })
}

/** Checks the nine history files: one line each, one timestamp, the statuses in KEYS order. */
function expectLines(run: ActionRun, letters: string): void {
  expect([...run.logs.keys()].sort()).toEqual(KEYS.map((key) => `${key}_report.log`).sort())
  const lines = KEYS.map((key) => run.logs.get(`${key}_report.log`)!)
  for (const content of lines) expect(content.split('\n')).toHaveLength(2)
  expect(new Set(lines.map((line) => line.slice(0, 16))).size).toBe(1)

  const statuses = Object.fromEntries(KEYS.map((key, index) => [key, lines[index]!.split(',')[1]!.trim()]))
  expect(statuses).toEqual(Object.fromEntries(KEYS.map((key, index) => [key, STATUS_OF[letters[index]!]])))
}

describe('fault cases through the bundle', () => {
  test.concurrent('bad credentials', async () => {
    const run = await runFault('bad-credentials', {}, { 'fail-on': 'major-outage' })

    expectLines(run, 'FUUUUU' + 'UUU')
    expect(run.outputs.get('status')).toBe('major_outage')
    expect(summaryToText(run.summary)).toContain('bad credentials for user "health-check"')
    expect(errorLines(run.stdout)).toContain("::error::The FLAME Hub status is major_outage, and fail-on is 'major-outage'.")
    expect(run.exitCode).toBe(1)
  }, 90_000)

  test.concurrent('lock rejected', async () => {
    const run = await runFault('lock-rejected', {})

    expectLines(run, 'SSFUUU' + 'FFF')
    expect(run.outputs.get('down-nodes')).toBe('aggregator-1,default-1,default-2')
    expect(summaryToText(run.summary)).toContain('An entrypoint must be selected.')
    expect(JSON.parse(run.outputs.get('report')!).steps.distribute.reasons[0]).toContain('configurationLock was rejected')
    expect(run.exitCode).toBe(0)
  }, 90_000)

  test.concurrent('path traversal in the result', async () => {
    const run = await runFault('tar-traversal', {}, { 'fail-on': 'partial-outage' })

    expectLines(run, 'SSSSFU' + 'FFF')
    expect(summaryToText(run.summary)).toContain('contains a ".." path segment')
    expect(run.stdout).toContain('::error title=FLAME step results failed::')
    expect(run.exitCode).toBe(1)
  }, 90_000)

  test.concurrent('connection resets absorbed', async () => {
    const run = await runFault('connection-reset', {}, { 'fail-on': 'any-failure' })

    expectLines(run, 'SSSSSS' + 'SSS')
    expect(run.outputs.get('status')).toBe('operational')
    expect(errorLines(run.stdout)).toEqual([])
    expect(run.exitCode).toBe(0)
  }, 90_000)

  test.concurrent('one node down, one slow', async () => {
    const run = await runFault(
      'healthy',
      { nodes: { 'default-1': { slowFactor: 4 }, 'default-2': { down: true } } },
      { 'execution-timeout': '8', 'fail-on': 'partial-outage' }
    )

    expectLines(run, 'SSSFSS' + 'SSF')
    expect(run.outputs.get('status')).toBe('partial_outage')
    expect(run.outputs.get('down-nodes')).toBe('default-2')
    expect(summaryToText(run.summary)).toContain('execution did not finish within 8 s')
    expect(run.exitCode).toBe(1)
  }, 90_000)
})
