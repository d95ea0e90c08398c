// The overall status rule. The status page (docs-template) implements the same rule in
// plain JavaScript; a test feeds both the same history files and compares the results.
// This module imports nothing, so it stays a pure function of the per-key statuses.

import type { LineStatus } from '../history/format.js'

export const STEP_KEYS = ['login', 'upload', 'distribute', 'execute', 'results', 'latency'] as const
export type StepKey = (typeof STEP_KEYS)[number]
export type PairStepKey = Exclude<StepKey, 'login'>
export const PAIR_STEP_KEYS: readonly PairStepKey[] = ['upload', 'distribute', 'execute', 'results', 'latency']

/**
 * `no_data` is only for a round that measured nothing: no line failed and no pair passed,
 * which happens when the job was cancelled before any verdict. Such a round is no evidence
 * of an outage, so it must not turn the status page red.
 */
export type OverallStatus = 'operational' | 'degraded' | 'partial_outage' | 'major_outage' | 'no_data'

/** The statuses of one round, as written to the history files. */
export interface KeyStatuses {
  steps: Record<StepKey, LineStatus>
  /** Node name → status; the aggregator included. */
  nodes: Record<string, LineStatus>
  /** Name of the aggregator node; every other node in `nodes` is a compute node. */
  aggregator: string | null
}

/**
 * Decide the overall status of one round:
 * - no step and no node failed, and no pair passed (a cancelled round) → no_data;
 * - login failed, or no compute node passed (no pair passed; a setup failure is recorded
 *   as `upload` failed with every node unknown) → major_outage;
 * - any step or node failed or unknown while at least one pair passed → partial_outage;
 *   `latency` failing alone does not count here;
 * - everything passed but `latency` failed (a pair over the latency limit) → degraded;
 * - otherwise → operational.
 */
export function overallStatus(round: KeyStatuses): OverallStatus {
  const computeNodes = Object.entries(round.nodes).filter(([name]) => name !== round.aggregator)
  const anyPairPassed = computeNodes.some(([, status]) => status === 'success')
  const anyFailed = [...Object.values(round.steps), ...Object.values(round.nodes)].some((status) => status === 'failed')
  if (!anyFailed && !anyPairPassed) return 'no_data'

  if (round.steps.login !== 'success') return 'major_outage'
  if (!anyPairPassed) return 'major_outage'

  const stepsOtherThanLatency = STEP_KEYS.filter((key) => key !== 'latency').map((key) => round.steps[key])
  const anyProblem = [...stepsOtherThanLatency, ...Object.values(round.nodes)].some((status) => status !== 'success')
  if (anyProblem) return 'partial_outage'

  if (round.steps.latency === 'failed') return 'degraded'
  return 'operational'
}
