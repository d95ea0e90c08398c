// The four Hub phases of one pair: upload, distribute, execute, results. Each function
// throws StepFailure (or HubError) with a reason; the pair runner turns that into the
// step's record. Every wait polls with its own budget and the round's abort signal.

import { randomBytes } from 'node:crypto'

import type { Clock } from '../clock.js'
import type { HubApi } from '../hub/api.js'
import { HubError } from '../hub/errors.js'
import {
  isFailureStatus,
  isSuccessStatus,
  type Analysis,
  type AnalysisBucket,
  type AnalysisBucketFile,
  type AnalysisCommand,
  type AnalysisNode,
  type ProcessStatus
} from '../hub/model.js'
import { describeAnalysisNodes, describeBuild, describeDistribution, describeProcess, formatSeconds } from './describe.js'
import { describeError, StepFailure } from './failure.js'
import { checkPayload, findPayload, readTarFiles, type ResultPayload } from './payload.js'
import { callWithin, pollUntil, scaledBelowReference, type PollOptions, type PollResult } from './poll.js'
import { DEFAULT_RESULT_MAX_BYTES, type RoundSettings } from './settings.js'

/** Gap between bucket polls in fixed mode, as the Python predecessor had it (shorter below a 3 s poll interval). */
export const FIXED_BUCKET_POLL_MS = 1000
/** Pause after the upload in fixed mode, as the Python predecessor had it (shorter below a 3 s poll interval). */
export const FIXED_UPLOAD_SETTLE_MS = 2000
/** Fraction of the bucket budget after which a missing CODE bucket triggers one storageCheck. */
export const STORAGE_CHECK_AFTER = 0.25
/** Limit for the extra listing of analysis-node states that goes into a timeout reason. */
const STATE_LISTING_LIMIT_MS = 5000

export interface PairContext {
  hub: HubApi
  clock: Clock
  signal?: AbortSignal
  settings: RoundSettings
  /** `hasRegistry` false means the Hub lists no registry for the aggregator, so no distribution can start. */
  aggregator: { name: string; id: string; hasRegistry?: boolean }
  node: { name: string; id: string }
  projectId: string
  masterImageId: string
  /** Hub node id → name, to name the nodes in per-node states. */
  nodeNames: ReadonlyMap<string, string>
  log: (line: string) => void
  /** Called once per Hub poll. */
  countPoll: () => void
}

/**
 * Create the analysis, wait for its CODE bucket, upload the script, wait for the script's
 * bucket-file record and mark it as the entrypoint. `onCreated` receives the analysis id
 * at once, so the pair can clean it up whatever happens later.
 */
export async function uploadScript(ctx: PairContext, onCreated: (analysis: Analysis) => void): Promise<Analysis> {
  const { hub, signal, settings } = ctx

  const analysis = await hub.createAnalysis(
    { projectId: ctx.projectId, name: analysisName(ctx.node.name), masterImageId: ctx.masterImageId },
    { signal }
  )
  onCreated(analysis)
  ctx.log(`created analysis ${analysis.name} (${analysis.id})`)

  const codeBucket = await waitForCodeBucket(ctx, analysis.id)
  ctx.log(`CODE bucket ${codeBucket.bucketId} is ready`)

  await hub.uploadFile(codeBucket.bucketId!, settings.script.fileName, settings.script.content, { signal })
  ctx.log(`uploaded ${settings.script.fileName} (${settings.script.content.byteLength} bytes)`)
  if (settings.polling === 'fixed') {
    await ctx.clock.sleep(scaledBelowReference(FIXED_UPLOAD_SETTLE_MS, settings.pollInterval * 1000), signal)
  }

  const file = await waitForBucketFile(ctx, codeBucket)
  await hub.markEntrypoint(file.id, { signal })
  ctx.log(`marked ${file.path} as the entrypoint`)
  return analysis
}

/**
 * Build a Hub analysis name for this node. The Hub stores names lowercased and keeps only
 * letters, digits, "-", "_" and ".", so other characters become "-". The random suffix
 * keeps parallel and repeated runs apart.
 */
export function analysisName(nodeName: string): string {
  const base = nodeName.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').slice(0, 100)
  return `${base || 'node'}-${randomBytes(4).toString('hex')}`
}

async function waitForCodeBucket(ctx: PairContext, analysisId: string): Promise<AnalysisBucket> {
  const start = ctx.clock.now()
  const budgetMs = ctx.settings.budgets.bucket * 1000
  const storageCheckAt = start + budgetMs * STORAGE_CHECK_AFTER
  let storageCheckSent = false
  let seen = 'none'

  const result = await pollUntil(async () => {
    const buckets = await ctx.hub.listAnalysisBuckets(analysisId, { signal: ctx.signal })
    seen = buckets.length === 0 ? 'none' : buckets.map((bucket) => bucket.type).join(', ')
    const code = buckets.find((bucket) => bucket.type === 'CODE' && bucket.bucketId !== null)
    if (code !== undefined) return code

    // The storage manager creates buckets through a task queue, and storageCheck requests
    // the missing ones again. One request is enough because repeats only queue duplicates.
    if (!storageCheckSent && ctx.clock.now() >= storageCheckAt) {
      storageCheckSent = true
      await sendStorageCheck(ctx, analysisId, start)
    }
    return undefined
  }, waitOptions(ctx, start + budgetMs, 'bucket'))

  if (result.done) return result.value
  const storageCheck = storageCheckSent ? 'storageCheck was sent' : 'storageCheck was not sent'
  throw timeout(`CODE bucket of analysis ${analysisId} did not appear within ${ctx.settings.budgets.bucket} s (buckets seen: ${seen}; ${storageCheck})`, result)
}

async function sendStorageCheck(ctx: PairContext, analysisId: string, start: number): Promise<void> {
  try {
    await ctx.hub.sendCommand(analysisId, 'storageCheck', { signal: ctx.signal })
    ctx.log(`no CODE bucket after ${formatSeconds(ctx.clock.now() - start)}, sent storageCheck`)
  } catch (error) {
    if (!(error instanceof HubError) || ctx.signal?.aborted) throw error
    ctx.log(`storageCheck failed: ${describeError(error)}`)
  }
}

async function waitForBucketFile(ctx: PairContext, codeBucket: AnalysisBucket): Promise<AnalysisBucketFile> {
  const fileName = ctx.settings.script.fileName
  const start = ctx.clock.now()
  let seen: string[] = []

  const result = await pollUntil(async () => {
    const files = await ctx.hub.listAnalysisBucketFiles(codeBucket.id, { signal: ctx.signal })
    seen = files.map((file) => file.path)
    return files.find((file) => file.path === fileName)
  }, waitOptions(ctx, start + ctx.settings.budgets.bucket * 1000, 'bucket'))

  if (result.done) return result.value
  const seenText = seen.length === 0 ? 'none' : seen.join(', ')
  throw timeout(`bucket-file record of ${fileName} did not appear within ${ctx.settings.budgets.bucket} s (records seen: ${seenText})`, result)
}

/**
 * Trim the analysis to exactly the pair, lock it, build it and distribute it, each wait
 * with its own budget.
 */
export async function distribute(ctx: PairContext, analysisId: string): Promise<void> {
  await trimToPair(ctx, analysisId)
  await sendPhaseCommand(ctx, analysisId, 'configurationLock')
  await sendPhaseCommand(ctx, analysisId, 'buildStart')
  ctx.log('locked the configuration and started the build')

  const built = await waitForProcess(ctx, analysisId, 'build', ctx.settings.budgets.build, (analysis) => ({
    status: analysis.buildStatus,
    text: describeBuild(analysis)
  }))
  ctx.log(describeBuild(built))

  await sendPhaseCommand(ctx, analysisId, 'distributionStart')
  const distributed = await waitForProcess(ctx, analysisId, 'distribution', ctx.settings.budgets.distribution, (analysis) => ({
    status: analysis.distributionStatus,
    text: describeDistribution(analysis)
  }))
  ctx.log(describeDistribution(distributed))
}

/**
 * Send a command that starts a phase. The Hub rejects one with 400 when a precondition
 * fails (an analysis-node not approved, a node without registry), so the reason also
 * lists the analysis-node states.
 */
async function sendPhaseCommand(ctx: PairContext, analysisId: string, command: AnalysisCommand): Promise<void> {
  try {
    await ctx.hub.sendCommand(analysisId, command, { signal: ctx.signal })
  } catch (error) {
    if (!(error instanceof HubError) || error.status !== 400 || ctx.signal?.aborted) throw error
    const states = await listNodeStates(ctx, analysisId)

    // The compute node passed its registry pre-check, so a rejected distribution with an
    // aggregator that has no registry is the aggregator's failure.
    const culprit = command === 'distributionStart' && ctx.aggregator.hasRegistry === false ? 'aggregator' : null
    throw new StepFailure(`${command} was rejected: ${describeError(error)} (analysis-nodes: ${states})`, culprit)
  }
}

/** Trim the analysis to the pair's two nodes, because the Hub seeds it with every approved project node. */
async function trimToPair(ctx: PairContext, analysisId: string): Promise<void> {
  const { hub, signal } = ctx
  const pairIds = [ctx.aggregator.id, ctx.node.id]
  const current = await hub.listAnalysisNodes(analysisId, { signal })

  for (const extra of current.filter((node) => !pairIds.includes(node.nodeId))) {
    await hub.removeAnalysisNode(extra.id, { signal })
    ctx.log(`removed ${ctx.nodeNames.get(extra.nodeId) ?? extra.nodeId} from the analysis`)
  }
  for (const nodeId of pairIds.filter((id) => !current.some((node) => node.nodeId === id))) {
    await hub.addAnalysisNode(analysisId, nodeId, { signal })
    ctx.log(`added ${ctx.nodeNames.get(nodeId) ?? nodeId} to the analysis`)
  }
}

async function waitForProcess(
  ctx: PairContext,
  analysisId: string,
  phase: 'build' | 'distribution',
  budgetSeconds: number,
  read: (analysis: Analysis) => { status: ProcessStatus | null; text: string }
): Promise<Analysis> {
  const start = ctx.clock.now()
  let observed = `${phase} not observed yet`

  const result = await pollUntil(async () => {
    const analysis = await ctx.hub.getAnalysis(analysisId, { signal: ctx.signal })
    const { status, text } = read(analysis)
    observed = text
    if (isFailureStatus(status)) throw new StepFailure(`${text} after ${formatSeconds(ctx.clock.now() - start)}`)
    return isSuccessStatus(status) ? analysis : undefined
  }, waitOptions(ctx, start + budgetSeconds * 1000, 'phase'))

  if (result.done) return result.value
  const states = await listNodeStates(ctx, analysisId)
  throw timeout(`${phase} did not finish within ${budgetSeconds} s (last seen: ${observed}; analysis-nodes: ${states})`, result)
}

/**
 * Wait until the aggregator's and the node's analysis-nodes have both executed. The
 * analysis's own executionStatus is not used: the Hub derives it ignoring nodes that
 * have not reported yet.
 */
export async function execute(ctx: PairContext, analysisId: string): Promise<void> {
  const start = ctx.clock.now()
  const budget = ctx.settings.budgets.execution
  let observed = 'analysis-nodes not listed yet'

  const result = await pollUntil(async () => {
    const nodes = await ctx.hub.listAnalysisNodes(analysisId, { signal: ctx.signal })
    observed = describeAnalysisNodes(nodes, ctx.nodeNames)
    // The compute node comes first: when it fails, the aggregator usually fails too for
    // lack of its result, and the node is the cause worth naming.
    const pairNodes = [ctx.node, ctx.aggregator].map((member) => ({
      member,
      analysisNode: nodes.find((node) => node.nodeId === member.id)
    }))

    for (const { member, analysisNode } of pairNodes) {
      if (analysisNode !== undefined && isFailureStatus(analysisNode.executionStatus)) {
        const process = describeProcess(analysisNode.executionStatus, analysisNode.executionProgress)
        const elapsed = formatSeconds(ctx.clock.now() - start)
        const culprit = member === ctx.aggregator ? aggregatorFailureCulprit(pairNodes[0]!.analysisNode) : 'node'
        throw new StepFailure(
          `execution on ${member.name} ended with ${process} after ${elapsed} (analysis-nodes: ${observed})`,
          culprit
        )
      }
    }
    const allExecuted = pairNodes.every(({ analysisNode }) => isSuccessStatus(analysisNode?.executionStatus))
    return allExecuted ? true : undefined
  }, waitOptions(ctx, start + budget * 1000, 'phase'))

  if (!result.done) throw timeout(`execution did not finish within ${budget} s (analysis-nodes: ${observed})`, result)
  ctx.log(`both analysis-nodes executed (${observed})`)
}

/**
 * Decides whom an aggregator's failed execution points at. Only a compute node that has an
 * execution status is cleared: an aggregator also fails when its partner never starts and
 * its wait for the partner's result runs out, and then the silent node is the likely cause.
 */
function aggregatorFailureCulprit(computeNode: AnalysisNode | undefined): 'aggregator' | null {
  return (computeNode?.executionStatus ?? null) === null ? null : 'aggregator'
}

/**
 * Find the RESULT bucket, download it as a tar within the size limit and verify the
 * payload. An empty bucket is downloaded again until the budget ends, because the
 * aggregator's storage service may still be uploading when the execution reports done.
 */
export async function verifyResults(ctx: PairContext, analysisId: string): Promise<ResultPayload> {
  const start = ctx.clock.now()
  const budget = ctx.settings.budgets.results
  const deadline = start + budget * 1000
  const maxBytes = ctx.settings.resultMaxBytes ?? DEFAULT_RESULT_MAX_BYTES
  let observed = 'no RESULT bucket yet'

  const result = await pollUntil(async () => {
    const buckets = await ctx.hub.listAnalysisBuckets(analysisId, { signal: ctx.signal })
    const resultBucket = buckets.find((bucket) => bucket.type === 'RESULT' && bucket.bucketId !== null)
    if (resultBucket === undefined || ctx.clock.now() >= deadline) return undefined
    if (!observed.startsWith('RESULT bucket')) observed = `RESULT bucket ${resultBucket.bucketId} found`

    const bytes = await downloadResult(ctx, resultBucket.bucketId!, { maxBytes, deadline, observed })
    const files = await readTarFiles(bytes)
    if (files.length === 0) {
      observed = `RESULT bucket ${resultBucket.bucketId} is empty`
      return undefined
    }
    const payload = findPayload(files)
    checkPayload(payload, { aggregator: ctx.aggregator, node: ctx.node })
    return payload
  }, waitOptions(ctx, deadline, 'phase'))

  if (!result.done) throw timeout(`no result within ${budget} s (${observed})`, result)
  ctx.log(`result ${result.value.path} verified: overall_success true, both nodes ok`)
  return result.value
}

/**
 * Download the RESULT bucket. Exceeding the size limit or the step's deadline ends the
 * step; other HubErrors are left to the wait, which retries them until the deadline.
 */
async function downloadResult(
  ctx: PairContext,
  bucketId: string,
  limits: { maxBytes: number; deadline: number; observed: string }
): Promise<Uint8Array> {
  try {
    return await ctx.hub.downloadBucket(bucketId, { signal: ctx.signal, maxBytes: limits.maxBytes, deadline: limits.deadline })
  } catch (error) {
    if (!(error instanceof HubError) || ctx.signal?.aborted) throw error
    if (error.kind === 'timeout') {
      // After an empty bucket, a download cut short by the deadline adds nothing to the reason.
      const budget = ctx.settings.budgets.results
      const lastDownload = limits.observed.endsWith('is empty') ? '' : `; the last download timed out: ${describeError(error)}`
      throw new StepFailure(`no result within ${budget} s (${limits.observed}${lastDownload})`)
    }
    if (error.kind === 'protocol') throw new StepFailure(`download of RESULT bucket ${bucketId} failed: ${describeError(error)}`)
    throw error
  }
}

/** Tolerated poll errors logged per wait before only every tenth one is. */
const LOGGED_POLL_ERRORS = 3

function waitOptions(ctx: PairContext, deadline: number, kind: 'bucket' | 'phase'): PollOptions {
  const { settings } = ctx
  const fixedBucket = settings.polling === 'fixed' && kind === 'bucket'
  const intervalMs = settings.pollInterval * 1000
  let pollErrors = 0

  return {
    clock: ctx.clock,
    signal: ctx.signal,
    deadline,
    mode: settings.polling,
    intervalMs: fixedBucket ? scaledBelowReference(FIXED_BUCKET_POLL_MS, intervalMs) : intervalMs,
    onPoll: ctx.countPoll,
    onTransientError: (error) => {
      pollErrors += 1
      if (pollErrors <= LOGGED_POLL_ERRORS || pollErrors % 10 === 0) {
        ctx.log(`poll failed (${pollErrors} so far in this wait), polling on until the deadline: ${describeError(error)}`)
      }
    }
  }
}

async function listNodeStates(ctx: PairContext, analysisId: string): Promise<string> {
  try {
    const nodes = await callWithin(ctx.clock, STATE_LISTING_LIMIT_MS, ctx.signal, 'listing timed out', (signal) =>
      ctx.hub.listAnalysisNodes(analysisId, { signal })
    )
    return describeAnalysisNodes(nodes, ctx.nodeNames)
  } catch (error) {
    if (!(error instanceof HubError || error instanceof StepFailure) || ctx.signal?.aborted) throw error
    return `unavailable (${describeError(error)})`
  }
}

function timeout(message: string, result: PollResult<unknown>): StepFailure {
  const lastError = result.done || result.lastError === null ? '' : `; last Hub error: ${describeError(result.lastError)}`
  return new StepFailure(`${message}${lastError}`)
}
