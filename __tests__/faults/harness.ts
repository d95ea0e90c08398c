// The fault matrix's round runner. Each case gets its own Hub simulator and runs the real
// HubClient, runRound, the verdicts, history lines, outputs, summary and exit decision in
// process. A case then costs its Hub time plus the python runs and nothing else.

import { readFileSync } from 'node:fs'

import { expect } from '@jest/globals'

import type { FaultSpec } from '../../simulator/hub/faults.js'
import {
  startHubSimulator,
  type HubSimulator,
  type HubSimulatorOptions,
  type RequestStats
} from '../../simulator/hub/index.js'
import { summaryToText } from '../../simulator/runner-files.js'
import { historyKeys, roundLines, roundTimestamp } from '../../src/history/write.js'
import { HubClient, type HubClientOptions } from '../../src/hub/client.js'
import type { FailOn } from '../../src/inputs.js'
import { roundFailureMessage } from '../../src/report/exit.js'
import { buildOutputs, buildReport, type RoundReport } from '../../src/report/outputs.js'
import { renderSummary } from '../../src/report/summary.js'
import type { RoundRecord } from '../../src/round/record.js'
import { runRound } from '../../src/round/round.js'
import type { RoundBudgets, RoundSettings } from '../../src/round/settings.js'
import { mergeRound, type RoundVerdicts } from '../../src/verdict/merge.js'
import { STEP_KEYS, type OverallStatus } from '../../src/verdict/overall.js'

export const NODES = ['aggregator-1', 'default-1', 'default-2']

/**
 * Real seconds. The simulator runs at 1/100 of the Hub's time, but the python runs take real
 * seconds, and a loaded machine stretches every wait. Cases about a timeout set a short budget.
 */
export const FAST_BUDGETS: RoundBudgets = { login: 10, bucket: 10, build: 10, distribution: 10, execution: 20, results: 10 }

const SCRIPT = { fileName: '00_test_connection.py', content: readFileSync('flame_checks/00_test_connection.py') }

export interface FaultCase {
  era?: 'e3' | 'e4'
  scenario?: string
  /** Knobs merged over the scenario's. */
  faults?: FaultSpec
  /** Round settings merged over the fast defaults (budgets merge key by key). */
  settings?: Omit<Partial<RoundSettings>, 'budgets'> & { budgets?: Partial<RoundBudgets> }
  failOn?: FailOn
  simulator?: Partial<HubSimulatorOptions>
  client?: Partial<HubClientOptions>
  /** Runs against the started simulator before the round, e.g. to seed analyses. */
  prepare?: (sim: HubSimulator) => void | Promise<void>
  /** Aborts the round when it fires. */
  signal?: AbortSignal
}

export interface FaultOutcome {
  settings: RoundSettings
  record: RoundRecord
  verdicts: RoundVerdicts
  report: RoundReport
  outputs: Record<string, string>
  summary: string
  /** The summary as plain text, with the HTML escapes undone. */
  summaryText: string
  /** History key → the line the round appends. */
  lines: Map<string, string>
  /** The message that fails the step, or null when it passes. */
  exitMessage: string | null
  /** Ids of the analyses left on the simulated Hub after the round. */
  analysesLeft: string[]
  /** Ids of the analyses that were on the Hub before the round (seeded by `prepare`). */
  analysesBefore: string[]
  /** Requests the simulator received. */
  requests: RequestStats
  /** HTTP attempts the client repeated (5xx, 429, network errors, transient 404s, renewed tokens). */
  clientRetries: number
}

/** Plays one round against a fresh simulator and stops the simulator afterwards. */
export async function playFault(faultCase: FaultCase): Promise<FaultOutcome> {
  const sim = await startHubSimulator({
    era: faultCase.era ?? 'e4',
    timeScale: 0.01,
    port: 0,
    scenario: faultCase.scenario ?? 'healthy',
    faults: faultCase.faults,
    ...faultCase.simulator
  })

  try {
    await faultCase.prepare?.(sim)
    const analysesBefore = [...sim.world.analyses.keys()]
    const settings = roundSettings(faultCase)
    const hub = new HubClient({
      authUrl: sim.authUrl,
      coreUrl: sim.coreUrl,
      storageUrl: sim.storageUrl,
      username: sim.username,
      password: sim.password,
      ...faultCase.client
    })

    const record = await runRound({ hub, settings, coreUrl: sim.coreUrl, signal: faultCase.signal })
    const verdicts = mergeRound(record, settings.nodes)
    const report = buildReport(record, verdicts, { budgets: settings.budgets, latencyLimit: settings.latencyLimit })
    const summary = renderSummary(report)

    return {
      settings,
      record,
      verdicts,
      report,
      outputs: buildOutputs(report),
      summary,
      summaryText: summaryToText(summary),
      lines: roundLines(verdicts, record.startedAt),
      exitMessage: roundFailureMessage(faultCase.failOn ?? 'never', verdicts.overall, record.misconfiguration),
      analysesLeft: [...sim.world.analyses.keys()],
      analysesBefore,
      requests: sim.stats(),
      clientRetries: hub.stats.retries
    }
  } finally {
    await sim.stop()
  }
}

function roundSettings(faultCase: FaultCase): RoundSettings {
  const { budgets, ...rest } = faultCase.settings ?? {}
  return {
    nodes: NODES,
    project: 'health-check',
    masterImage: 'python/base',
    script: SCRIPT,
    budgets: { ...FAST_BUDGETS, ...budgets },
    latencyLimit: 600,
    pollInterval: 0.05,
    polling: 'adaptive',
    maxParallel: 0,
    staleAfter: 3600,
    keepAnalyses: 'on-failure',
    precheck: 'auto',
    ...rest
  }
}

/** S success, F failed, U unknown. */
type Letter = 'S' | 'F' | 'U'
const STATUS_OF: Record<Letter, string> = { S: 'success', F: 'failed', U: 'unknown' }

export interface ExpectedRound {
  /** Six letters for login, upload, distribute, execute, results, latency, e.g. 'SSFUUU'. */
  steps: string
  /** One letter per configured node, in configuration order, e.g. 'FFF'. */
  nodes: string
  status: OverallStatus
  /** A text the reason contains; it must show in the `report` output and in the summary. Null: no reason at all. */
  reason: string | null
  /** Null when the step passes, else a text of the failure message. */
  exit: string | null
}

/**
 * Checks what the round wrote. Each history key gets one line with the round's timestamp and
 * the expected status, with a duration on success and none on unknown. The outputs agree, the
 * reason shows in the `report` output and in the summary, and the exit decision matches.
 */
export function expectRound(outcome: FaultOutcome, expected: ExpectedRound): void {
  const nodes = outcome.settings.nodes
  const statusOf = (letters: string, index: number): string => STATUS_OF[letters[index] as Letter]
  const expectedStatuses = new Map<string, string>()
  STEP_KEYS.forEach((key, index) => expectedStatuses.set(key, statusOf(expected.steps, index)))
  nodes.forEach((name, index) => expectedStatuses.set(`node_${name}`, statusOf(expected.nodes, index)))

  // The history lines: every key, the round's minute, the status, and a duration when it passed.
  expect([...outcome.lines.keys()]).toEqual(historyKeys(nodes))
  const timestamp = roundTimestamp(outcome.record.startedAt).toISOString().slice(0, 16).replace('T', ' ')
  for (const [key, status] of expectedStatuses) {
    let duration = '(\\d+\\.\\d{2})?'
    if (status === 'success') duration = '\\d+\\.\\d{2}'
    if (status === 'unknown') duration = ''
    const pattern = new RegExp(`^${timestamp}, ${status}, ${duration}$`)
    // The reasons ride along so that a wrong status shows why the round decided it.
    const reasons = reasonsOf(outcome.report)
    expect({ key, line: outcome.lines.get(key), reasons }).toEqual({ key, line: expect.stringMatching(pattern), reasons })
  }

  // The outputs agree with the lines.
  const { outputs } = outcome
  expect(outputs.status).toBe(expected.status)
  expect(JSON.parse(outputs.steps!)).toEqual(Object.fromEntries(STEP_KEYS.map((key) => [key, expectedStatuses.get(key)])))
  const nodeOutputs = JSON.parse(outputs.nodes!) as Record<string, { status: string }>
  expect(Object.fromEntries(Object.entries(nodeOutputs).map(([name, node]) => [name, node.status]))).toEqual(
    Object.fromEntries(nodes.map((name) => [name, expectedStatuses.get(`node_${name}`)]))
  )
  expect(outputs['down-nodes']).toBe(nodes.filter((name) => expectedStatuses.get(`node_${name}`) === 'failed').join(','))

  // The reason reaches the `report` output and the summary.
  const reasons = reasonsOf(JSON.parse(outputs.report!) as RoundReport)
  if (expected.reason === null) {
    expect(reasons).toEqual([])
  } else {
    expect(reasons).toEqual(expect.arrayContaining([expect.stringContaining(expected.reason)]))
    expect(outcome.summaryText).toContain(expected.reason)
  }

  if (expected.exit === null) expect(outcome.exitMessage).toBeNull()
  else expect(outcome.exitMessage).toContain(expected.exit)
}

/** Collects every reason the report states, per step and per node. */
export function reasonsOf(report: RoundReport): string[] {
  const reasons: string[] = []
  for (const step of Object.values(report.steps)) reasons.push(...step.reasons)
  for (const node of Object.values(report.nodes)) if (node.reason !== null) reasons.push(node.reason)
  return reasons
}
