// Builders of RoundRecords for the verdict, history and report tests.

import type { PairRecord, RoundRecord, StepRecord } from '../../src/round/record.js'
import type { PairStepKey } from '../../src/verdict/overall.js'

/** 2026-12-04 10:31:42 UTC; the history timestamp is `2026-12-04 10:31`. */
export const ROUND_START = Date.UTC(2026, 11, 4, 10, 31, 42)

const PASSED_SECONDS: Record<PairStepKey, number> = {
  upload: 3,
  distribute: 40,
  execute: 20,
  results: 1,
  latency: 64
}

const ORDER: readonly PairStepKey[] = ['upload', 'distribute', 'execute', 'results', 'latency']

/** Builds a pair that passed every step, with step seconds scaled by `factor`. */
export function passedPair(node: string, factor = 1): PairRecord {
  const steps = {} as Record<PairStepKey, StepRecord>
  for (const key of ORDER) steps[key] = { status: 'success', seconds: PASSED_SECONDS[key] * factor }
  return {
    node,
    nodeId: `id-${node}`,
    precheck: { passed: true },
    analysisId: `analysis-${node}`,
    steps,
    failedStep: null,
    latencySeconds: PASSED_SECONDS.latency * factor,
    cleanup: 'deleted',
    startedAt: ROUND_START + 1000,
    endedAt: ROUND_START + 65_000,
    log: [`pair ${node} passed`]
  }
}

/** Builds a pair whose steps before `step` passed, `step` failed with `reason`, the rest unknown. */
export function failedPair(node: string, step: PairStepKey, reason: string): PairRecord {
  const pair = passedPair(node)
  const index = ORDER.indexOf(step)
  for (const [position, key] of ORDER.entries()) {
    if (position === index) pair.steps[key] = { status: 'failed', seconds: 7, reason }
    if (position > index) pair.steps[key] = { status: 'unknown', seconds: null }
  }
  pair.failedStep = step
  pair.latencySeconds = null
  pair.cleanup = 'kept'
  return pair
}

/** Builds a pair that passed but took `latency` seconds, over the limit. */
export function slowPair(node: string, latency: number): PairRecord {
  const pair = passedPair(node)
  pair.latencySeconds = latency
  pair.steps.latency = { status: 'failed', seconds: latency, reason: `took ${latency} s, limit 600 s` }
  pair.failedStep = 'latency'
  return pair
}

/** Builds a pair whose pre-check failed, so it has no analysis and every step is unknown. */
export function precheckFailedPair(
  node: string,
  cause: 'unknown-node' | 'no-registry' | 'offline' | 'not-compute',
  reason: string
): PairRecord {
  const pair = passedPair(node)
  for (const key of ORDER) pair.steps[key] = { status: 'unknown', seconds: null }
  return {
    ...pair,
    nodeId: cause === 'unknown-node' ? null : pair.nodeId,
    precheck: { passed: false, cause, reason },
    analysisId: null,
    failedStep: null,
    latencySeconds: null,
    cleanup: 'none',
    startedAt: null,
    endedAt: null
  }
}

/** Builds a round with a passed login and setup and the given pairs. */
export function roundRecord(pairs: PairRecord[], overrides: Partial<RoundRecord> = {}): RoundRecord {
  return {
    startedAt: ROUND_START,
    endedAt: ROUND_START + 70_500,
    hub: { coreUrl: 'http://127.0.0.1:1/core', version: '0.13.2', era: 'e4' },
    login: { status: 'success', seconds: 0.42 },
    setup: {
      status: 'success',
      seconds: 0.8,
      projectId: 'project-1',
      projectName: 'health-check',
      masterImage: { id: 'image-1', virtualPath: 'python/base' },
      staleAnalysesDeleted: 0
    },
    aggregator: { name: 'aggregator-1', id: 'id-aggregator-1' },
    pairs,
    onlineFlagNote: null,
    misconfiguration: null,
    cancelled: false,
    notes: [],
    ...overrides
  }
}

export const NODES = ['aggregator-1', 'default-1', 'default-2']
