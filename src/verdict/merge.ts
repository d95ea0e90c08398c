// Turns a RoundRecord into the statuses the action writes: one per step and one per
// configured node, with durations and reasons, and the overall status. Pure functions, so
// the history lines, the outputs and the summary cannot disagree.

import type { LineStatus } from '../history/format.js'
import type { PairRecord, RoundRecord } from '../round/record.js'
import {
  overallStatus,
  PAIR_STEP_KEYS,
  STEP_KEYS,
  type KeyStatuses,
  type OverallStatus,
  type PairStepKey,
  type StepKey
} from './overall.js'

export interface StepVerdict {
  status: LineStatus
  /** Mean over the pairs that passed the step (login: the login time); null when none did. */
  seconds: number | null
  /** Why the step failed or is unknown, one entry per pair (`<node>: <reason>`). */
  reasons: string[]
}

export type NodeRole = 'aggregator' | 'compute' | 'undetermined'

export interface NodeVerdict {
  name: string
  /** `undetermined` when the round ended before the node list showed which node is the aggregator. */
  role: NodeRole
  status: LineStatus
  /** The pair's latency for a compute node, the mean latency of the passed pairs for the aggregator. */
  seconds: number | null
  reason: string | null
}

export interface RoundVerdicts {
  steps: Record<StepKey, StepVerdict>
  /** One per configured node, in configuration order. */
  nodes: NodeVerdict[]
  /** The statuses as overallStatus() and the history files see them. */
  statuses: KeyStatuses
  overall: OverallStatus
}

/** Steps at which a failure involves the compute node itself, not only the Hub. */
const NODE_PHASES: readonly PairStepKey[] = ['distribute', 'execute', 'results']

/**
 * Decides the verdicts of one round.
 * - A pair step is success if every pair that reached it passed, failed if any failed, and
 *   unknown if none reached it. A failed setup makes `upload` failed with the setup's reason.
 * - A compute node is success if its pair verified its results, even over the latency limit.
 *   It is failed if its pre-check failed or its pair failed at distribute, execute or results.
 *   Otherwise it is unknown, because a Hub-side upload failure is not a node outage.
 * - The aggregator is success if any pair passed, failed if none passed but some pair failed at
 *   a step that involves the nodes, and unknown if no pair got that far.
 */
export function mergeRound(record: RoundRecord, configuredNodes: readonly string[]): RoundVerdicts {
  const steps = {} as Record<StepKey, StepVerdict>
  steps.login = {
    status: record.login.status,
    seconds: record.login.status === 'success' ? record.login.seconds : null,
    reasons: record.login.reason === undefined ? [] : [record.login.reason]
  }
  for (const key of PAIR_STEP_KEYS) steps[key] = mergePairStep(record.pairs, key)

  if (record.setup.status === 'failed') {
    const reason = `project setup failed: ${record.setup.reason ?? 'no reason given'}`
    steps.upload = { status: 'failed', seconds: null, reasons: [reason, ...steps.upload.reasons] }
  }

  const nodes = configuredNodes.map((name) => nodeVerdict(record, name))
  const statuses: KeyStatuses = {
    steps: Object.fromEntries(STEP_KEYS.map((key) => [key, steps[key].status])) as Record<StepKey, LineStatus>,
    nodes: Object.fromEntries(nodes.map((node) => [node.name, node.status])),
    aggregator: record.aggregator?.name ?? null
  }

  return { steps, nodes, statuses, overall: overallStatus(statuses) }
}

/** Tells whether a pair verified its results. The latency step does not decide this. */
export function pairPassed(pair: PairRecord): boolean {
  return pair.precheck.passed && pair.steps.results.status === 'success'
}

/** Names of the nodes whose verdict is failed, in configuration order. */
export function downNodes(verdicts: RoundVerdicts): string[] {
  return verdicts.nodes.filter((node) => node.status === 'failed').map((node) => node.name)
}

function mergePairStep(pairs: readonly PairRecord[], key: PairStepKey): StepVerdict {
  const reached = pairs.filter((pair) => pair.steps[key].status !== 'unknown')
  const failed = reached.filter((pair) => pair.steps[key].status === 'failed')
  const passedSeconds = reached
    .filter((pair) => pair.steps[key].status === 'success')
    .map((pair) => pair.steps[key].seconds)
    .filter((seconds): seconds is number => seconds !== null && Number.isFinite(seconds))

  let status: LineStatus = 'unknown'
  if (failed.length > 0) status = 'failed'
  else if (reached.length > 0) status = 'success'

  const reasons = pairs
    .filter((pair) => pair.steps[key].status !== 'success' && pair.steps[key].reason !== undefined)
    .map((pair) => `${pair.node}: ${pair.steps[key].reason}`)

  return { status, seconds: mean(passedSeconds), reasons }
}

function nodeVerdict(record: RoundRecord, name: string): NodeVerdict {
  if (record.aggregator?.name === name) return aggregatorVerdict(record, name)

  const pair = record.pairs.find((candidate) => candidate.node === name)
  if (pair === undefined) {
    // No pair for this name: login, the node split or the setup ended the round first.
    const role: NodeRole = record.aggregator === null ? 'undetermined' : 'compute'
    return { name, role, status: 'unknown', seconds: null, reason: roundStopReason(record) }
  }

  if (!pair.precheck.passed) {
    return { name, role: 'compute', status: 'failed', seconds: null, reason: pair.precheck.reason }
  }
  if (pairPassed(pair)) {
    return { name, role: 'compute', status: 'success', seconds: pair.latencySeconds, reason: null }
  }

  const failedStep = pair.failedStep
  if (failedStep !== null && pair.culprit === 'aggregator') {
    // The aggregator's side failed while this node's did not: no evidence against the node.
    const reason = `${failedStep} failed on the aggregator: ${pair.steps[failedStep].reason ?? 'no reason given'}`
    return { name, role: 'compute', status: 'unknown', seconds: null, reason }
  }
  if (failedStep !== null && NODE_PHASES.includes(failedStep)) {
    const reason = `${failedStep} failed: ${pair.steps[failedStep].reason ?? 'no reason given'}`
    return { name, role: 'compute', status: 'failed', seconds: null, reason }
  }

  return { name, role: 'compute', status: 'unknown', seconds: null, reason: pairUnknownReason(pair) }
}

function aggregatorVerdict(record: RoundRecord, name: string): NodeVerdict {
  const passed = record.pairs.filter(pairPassed)
  if (passed.length > 0) {
    const latencies = passed
      .map((pair) => pair.latencySeconds)
      .filter((seconds): seconds is number => seconds !== null && Number.isFinite(seconds))
    return { name, role: 'aggregator', status: 'success', seconds: mean(latencies), reason: null }
  }

  const reachedNodes = record.pairs.filter(
    (pair) => pair.failedStep !== null && NODE_PHASES.includes(pair.failedStep)
  )
  if (reachedNodes.length > 0) {
    const failures = reachedNodes.map((pair) =>
      pair.culprit === 'aggregator'
        ? `the aggregator failed at ${pair.failedStep} with ${pair.node}`
        : `${pair.node} failed at ${pair.failedStep}`
    )
    const reason = `no pair passed: ${failures.join(', ')}`
    return { name, role: 'aggregator', status: 'failed', seconds: null, reason }
  }

  return { name, role: 'aggregator', status: 'unknown', seconds: null, reason: roundStopReason(record) ?? 'no pair reached the nodes' }
}

/** Describes why the round ended before any pair ran, or returns null. */
function roundStopReason(record: RoundRecord): string | null {
  if (record.cancelled && record.pairs.length === 0) return 'cancelled'
  if (record.login.status !== 'success') {
    const reason = record.login.reason ?? 'no reason given'
    // The client's login errors already start with "Login failed", which needs no second prefix.
    const prefixed = reason.toLowerCase().startsWith(`login ${record.login.status}`)
    return prefixed ? reason : `login ${record.login.status}: ${reason}`
  }
  if (record.setup.status === 'failed') return `project setup failed: ${record.setup.reason ?? 'no reason given'}`
  if (record.setup.status !== 'success') return record.setup.reason ?? 'project setup did not finish'
  return null
}

function pairUnknownReason(pair: PairRecord): string | null {
  if (pair.failedStep !== null) {
    return `${pair.failedStep} failed before the node was involved: ${pair.steps[pair.failedStep].reason ?? 'no reason given'}`
  }
  const stopped = PAIR_STEP_KEYS.find((key) => pair.steps[key].status === 'unknown' && pair.steps[key].reason !== undefined)
  return stopped === undefined ? null : `${stopped}: ${pair.steps[stopped].reason}`
}

function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null
  return values.reduce((sum, value) => sum + value, 0) / values.length
}
