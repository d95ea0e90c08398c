// One pair run: the aggregator and one compute node through upload, distribute, execute
// and results, then the latency check and the clean-up of the pair's analysis.

import { HubError } from '../hub/errors.js'
import { PAIR_STEP_KEYS, type PairStepKey } from '../verdict/overall.js'
import { formatSeconds } from './describe.js'
import { describeError, StepFailure } from './failure.js'
import { distribute, execute, uploadScript, verifyResults, type PairContext } from './phases.js'
import { callWithin } from './poll.js'
import type { PairRecord, PrecheckOutcome, StepRecord } from './record.js'

/**
 * Time limit of the analysis delete at the end of a pair. It also applies after a
 * cancellation, so it stays well under the 7.5 s between a runner's SIGINT and SIGTERM.
 */
export const CLEANUP_LIMIT_MS = 5000

export const CANCELLED = 'cancelled'

export type PairRunContext = Omit<PairContext, 'log' | 'countPoll'>

/** Create the record of a pair before its run: every step unknown, nothing created. */
export function newPairRecord(node: string, nodeId: string | null, precheck: PrecheckOutcome): PairRecord {
  const steps = Object.fromEntries(PAIR_STEP_KEYS.map((key) => [key, unknownStep()])) as Record<PairStepKey, StepRecord>
  return {
    node,
    nodeId,
    precheck,
    analysisId: null,
    steps,
    failedStep: null,
    latencySeconds: null,
    cleanup: 'none',
    startedAt: null,
    endedAt: null,
    polls: 0,
    log: []
  }
}

/** Mark `from` and every later step unknown with `reason` (a cancellation or a setup stop). */
export function markUnknownFrom(record: PairRecord, from: PairStepKey, reason: string): void {
  for (const key of PAIR_STEP_KEYS.slice(PAIR_STEP_KEYS.indexOf(from))) {
    record.steps[key] = { status: 'unknown', seconds: null, reason }
  }
}

/**
 * Run the pair and fill in `record`. Hub trouble becomes a failed step with a reason;
 * an abort of `ctx.signal` leaves the interrupted and later steps unknown ("cancelled").
 * Only programming errors reject, after the clean-up has run.
 */
export async function runPair(ctx: PairRunContext, record: PairRecord): Promise<void> {
  const { clock, signal } = ctx
  const start = clock.now()
  record.startedAt = start
  record.polls = 0

  const log = (line: string): void => {
    record.log.push(`[${formatSeconds(clock.now() - start).padStart(8)}] ${line}`)
  }
  const pairContext: PairContext = { ...ctx, log, countPoll: () => (record.polls = (record.polls ?? 0) + 1) }

  const runStep = async (key: PairStepKey, body: () => Promise<void>): Promise<boolean> => {
    if (signal?.aborted) {
      markUnknownFrom(record, key, CANCELLED)
      return false
    }

    const stepStart = clock.now()
    try {
      await body()
      record.steps[key] = { status: 'success', seconds: (clock.now() - stepStart) / 1000 }
      log(`${key} passed in ${formatSeconds(clock.now() - stepStart)}`)
      return true
    } catch (error) {
      if (signal?.aborted) {
        markUnknownFrom(record, key, CANCELLED)
        log(`${key} cancelled after ${formatSeconds(clock.now() - stepStart)}`)
        return false
      }
      if (!(error instanceof StepFailure) && !(error instanceof HubError)) throw error

      const reason = describeError(error)
      record.steps[key] = { status: 'failed', seconds: (clock.now() - stepStart) / 1000, reason }
      record.failedStep = key
      if (error instanceof StepFailure && error.culprit !== null) record.culprit = error.culprit
      log(`${key} failed after ${formatSeconds(clock.now() - stepStart)}: ${reason}`)
      return false
    }
  }

  try {
    log(`pair ${ctx.aggregator.name} + ${ctx.node.name} started`)
    const passed =
      (await runStep('upload', async () => {
        await uploadScript(pairContext, (analysis) => (record.analysisId = analysis.id))
      })) &&
      (await runStep('distribute', () => distribute(pairContext, record.analysisId!))) &&
      (await runStep('execute', () => execute(pairContext, record.analysisId!))) &&
      (await runStep('results', async () => {
        await verifyResults(pairContext, record.analysisId!)
      }))

    if (passed) recordLatency(record, (clock.now() - start) / 1000, ctx.settings.latencyLimit, log)
  } finally {
    await cleanUp(ctx, record, log)
    record.endedAt = clock.now()
  }
}

/** Latency is not a Hub step: it passes when the verified result came within the limit. */
function recordLatency(record: PairRecord, seconds: number, limit: number, log: (line: string) => void): void {
  record.latencySeconds = seconds
  if (seconds <= limit) {
    record.steps.latency = { status: 'success', seconds }
    log(`latency ${seconds.toFixed(1)} s, within the ${limit} s limit`)
    return
  }
  const reason = `the pair took ${seconds.toFixed(1)} s, over the ${limit} s latency limit`
  record.steps.latency = { status: 'failed', seconds, reason }
  record.failedStep = 'latency'
  log(reason)
}

/**
 * Apply keepAnalyses. `on-failure` keeps an analysis only when a Hub step failed. It
 * deletes the analysis of a pair that passed over the latency limit or was cancelled,
 * because neither leaves anything to inspect.
 */
async function cleanUp(ctx: PairRunContext, record: PairRecord, log: (line: string) => void): Promise<void> {
  const analysisId = record.analysisId
  if (analysisId === null) {
    record.cleanup = 'none'
    return
  }

  const hubStepFailed = record.failedStep !== null && record.failedStep !== 'latency'
  const keep = ctx.settings.keepAnalyses === 'always' || (ctx.settings.keepAnalyses === 'on-failure' && hubStepFailed)
  if (keep) {
    record.cleanup = 'kept'
    log(`kept analysis ${analysisId} (keep-analyses: ${ctx.settings.keepAnalyses})`)
    return
  }

  try {
    // Not the round's signal: a cancelled round still deletes its analyses, within the limit.
    await callWithin(ctx.clock, CLEANUP_LIMIT_MS, undefined, `timed out after ${CLEANUP_LIMIT_MS / 1000} s`, (signal) =>
      ctx.hub.deleteAnalysis(analysisId, { signal })
    )
    record.cleanup = 'deleted'
    log(`deleted analysis ${analysisId}`)
  } catch (error) {
    if (!(error instanceof StepFailure) && !(error instanceof HubError)) throw error
    record.cleanup = 'delete-failed'
    log(`could not delete analysis ${analysisId}: ${describeError(error)}`)
  }
}

function unknownStep(): StepRecord {
  return { status: 'unknown', seconds: null }
}
