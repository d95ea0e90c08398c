// The record of a round as plain data, without verdicts. The round fills it in, and
// src/verdict turns it into step, node and overall statuses. The report and history
// modules read both.

import type { LineStatus } from '../history/format.js'
import type { Era } from '../hub/model.js'
import type { PairStepKey } from '../verdict/overall.js'

/** Outcome of one step: `unknown` when the step was never reached. */
export interface StepRecord {
  status: LineStatus
  /** Wall time of the step in seconds; null when it did not run. */
  seconds: number | null
  /** Reason the step failed or is unknown (e.g. "cancelled"). It may contain plain text from the Hub. */
  reason?: string
}

export type PrecheckOutcome =
  | { passed: true }
  | { passed: false; reason: string; cause: 'unknown-node' | 'no-registry' | 'offline' | 'not-compute' }

export interface PairRecord {
  /** Compute node name as configured. */
  node: string
  /** Hub node id, when the Hub lists a node of that name. */
  nodeId: string | null
  precheck: PrecheckOutcome
  /** Analysis created for this pair, if any. */
  analysisId: string | null
  /** `upload`, `distribute`, `execute`, `results`, `latency`. */
  steps: Record<PairStepKey, StepRecord>
  /** First step that failed, if any. */
  failedStep: PairStepKey | null
  /**
   * Set when the failed step points at one member of the pair only: `aggregator` when the
   * aggregator's analysis-node failed while the compute node's did not, so the compute
   * node is not blamed for an aggregator outage.
   */
  culprit?: 'aggregator' | 'node'
  /** Seconds from the pair's start to a verified result; null unless results passed. */
  latencySeconds: number | null
  /** Whether the analysis was deleted, kept for inspection, or never created. */
  cleanup: 'deleted' | 'kept' | 'none' | 'delete-failed'
  startedAt: number | null
  endedAt: number | null
  /** Hub polls this pair made while waiting (buckets, build, distribution, execution, results). */
  polls?: number
  /** Buffered log lines of this pair, printed in one group when it settles. */
  log: string[]
}

export interface RoundRecord {
  /** Start of the round (ms since epoch); the history timestamp is this, at minute precision. */
  startedAt: number
  endedAt: number
  hub: {
    coreUrl: string
    version: string | null
    era: Era | null
  }
  login: StepRecord
  /** Project setup after login (find/create project, stale clean-up, membership, master image). */
  setup: StepRecord & {
    projectId: string | null
    projectName: string
    masterImage: { id: string; virtualPath: string } | null
    staleAnalysesDeleted: number
  }
  /** Null until login has listed the nodes and found the one configured aggregator. */
  aggregator: { name: string; id: string } | null
  /**
   * One per configured node that is not the aggregator, in configuration order (names the
   * Hub does not know included, with a failed pre-check). Empty when login or the node
   * split failed; the verdict then marks every configured node from the settings.
   */
  pairs: PairRecord[]
  /** Sentence for the summary on the pre-check's use of the Hub's `online` flag. */
  onlineFlagNote: string | null
  /**
   * Reason the configured nodes cannot form a round (no aggregator among them, more than
   * one, or no compute node); null otherwise. Set together with a failed `setup`; the action
   * treats it as a configuration error rather than a Hub outage.
   */
  misconfiguration?: string | null
  /** True when SIGINT/SIGTERM aborted the round; interrupted steps are `unknown` with reason "cancelled". */
  cancelled: boolean
  /** Non-fatal observations for the summary (e.g. "master image not set, using python/base"). */
  notes: string[]
}
