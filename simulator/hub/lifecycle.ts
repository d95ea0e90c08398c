// The Hub's asynchronous work on an analysis: buckets from storage, mirrored bucket files, the worker's
// build and distribution, and the node side (autostart, pod status, the python run, the result upload).

import { randomUUID } from 'node:crypto'

import { PROGRESS_STEPS, phaseSeconds, type HubRuntime } from './runtime.js'
import {
  isoNow,
  randomHex,
  type AnalysisBucketFileEntity,
  type AnalysisEntity,
  type AnalysisNodeEntity,
  type BucketType,
  type StorageBucketEntity,
  type StorageFileEntity
} from './world.js'

const BUCKET_NAME_PREFIX: Record<BucketType, string> = {
  CODE: 'analysis-code-files',
  RESULT: 'analysis-result-files',
  TEMP: 'analysis-temp-files'
}

/** True while the analysis still exists (a deletion cancels the work that was scheduled for it). */
function alive(runtime: HubRuntime, analysis: AnalysisEntity): boolean {
  return runtime.world.analyses.get(analysis.id) === analysis
}

function touch(runtime: HubRuntime, analysis: AnalysisEntity): void {
  runtime.world.recalculateAnalysis(analysis)
  analysis.updatedAt = isoNow()
}

/** Asks storage for the missing CODE, RESULT and TEMP buckets. Each row appears after a delay. */
export function requestBuckets(runtime: HubRuntime, analysis: AnalysisEntity): void {
  for (const type of ['CODE', 'RESULT', 'TEMP'] as const) {
    if (runtime.world.bucketOfAnalysis(analysis.id, type) !== undefined) continue
    if (runtime.faults.bucketNever?.includes(type) === true) continue

    runtime.scheduler.after(phaseSeconds.bucket, runtime.phaseFactor(), analysis.id, () => {
      if (!alive(runtime, analysis) || runtime.world.bucketOfAnalysis(analysis.id, type) !== undefined) return
      const storageBucket = runtime.world.addStorageBucket(`${BUCKET_NAME_PREFIX[type]}.${analysis.id}`, analysis.userId)
      const now = isoNow()
      const id = randomUUID()
      runtime.world.analysisBuckets.set(id, {
        id,
        type,
        bucketId: storageBucket.id,
        analysisId: analysis.id,
        realmId: analysis.realmId,
        createdAt: now,
        updatedAt: now
      })

      if (type === 'CODE') {
        const timing = runtime.timing(analysis.id)
        timing.bucketMs = performance.now() - timing.createdAt
      }
    })
  }
}

/** Core mirrors each file uploaded to an analysis bucket as an analysis-bucket-file row, after a delay. */
export function mirrorUploadedFiles(runtime: HubRuntime, bucket: StorageBucketEntity, files: StorageFileEntity[]): void {
  const analysisBucket = [...runtime.world.analysisBuckets.values()].find((row) => row.bucketId === bucket.id)
  if (analysisBucket === undefined || runtime.faults.mirrorNever === true) return
  const analysis = runtime.world.analyses.get(analysisBucket.analysisId)
  if (analysis === undefined) return

  const uploadedAt = performance.now()
  runtime.scheduler.after(phaseSeconds.mirror, runtime.phaseFactor(), analysis.id, () => {
    if (!alive(runtime, analysis)) return
    for (const file of files) addBucketFileRow(runtime, analysis, analysisBucket.id, file)
    touch(runtime, analysis)

    const timing = runtime.timing(analysis.id)
    timing.mirrorMs = Math.max(timing.mirrorMs ?? 0, performance.now() - uploadedAt)
  })
}

function addBucketFileRow(
  runtime: HubRuntime,
  analysis: AnalysisEntity,
  analysisBucketId: string,
  file: StorageFileEntity
): AnalysisBucketFileEntity {
  const now = isoNow()
  const row: AnalysisBucketFileEntity = {
    id: randomUUID(),
    path: file.path,
    root: false,
    bucketId: file.bucketId,
    bucketFileId: file.id,
    analysisBucketId,
    analysisId: analysis.id,
    realmId: analysis.realmId,
    userId: file.actorType === 'user' ? file.actorId : null,
    clientId: file.actorType === 'client' ? file.actorId : null,
    robotId: null,
    createdAt: now,
    updatedAt: now
  }
  runtime.world.analysisBucketFiles.set(row.id, row)
  return row
}

/**
 * Runs one worker phase: `starting`, then `started` with progress rising in steps, then `executed`.
 * `failAt`/`stallAt` name the step (1-based) at which the phase fails or stops reporting.
 */
function runWorkerPhase(
  runtime: HubRuntime,
  analysis: AnalysisEntity,
  phase: 'build' | 'distribution',
  options: { failAt?: number; stallAt?: number; onDone: () => void }
): void {
  const statusKey = phase === 'build' ? 'buildStatus' : 'distributionStatus'
  const progressKey = phase === 'build' ? 'buildProgress' : 'distributionProgress'
  const queueSeconds = phase === 'build' ? phaseSeconds.buildQueue : phaseSeconds.distributionQueue
  const workSeconds = phase === 'build' ? phaseSeconds.build : phaseSeconds.distribution
  const factor = runtime.phaseFactor()

  analysis[statusKey] = 'starting'
  analysis[progressKey] = null
  touch(runtime, analysis)

  runtime.scheduler.after(queueSeconds, factor, analysis.id, () => {
    if (!alive(runtime, analysis) || analysis[statusKey] !== 'starting') return
    analysis[statusKey] = 'started'
    analysis[progressKey] = 0
    touch(runtime, analysis)
  })

  const lastStep = Math.min(PROGRESS_STEPS, options.failAt ?? PROGRESS_STEPS, options.stallAt ?? PROGRESS_STEPS)
  for (let step = 1; step <= lastStep; step++) {
    runtime.scheduler.after(queueSeconds + (workSeconds * step) / PROGRESS_STEPS, factor, analysis.id, () => {
      if (!alive(runtime, analysis) || analysis[statusKey] !== 'started') return
      const progress = Math.round((100 * step) / PROGRESS_STEPS)

      if (step === options.failAt) {
        analysis[statusKey] = 'failed'
        analysis[progressKey] = progress
      } else if (step === options.stallAt) {
        analysis[progressKey] = progress
      } else if (step === PROGRESS_STEPS) {
        analysis[statusKey] = 'executed'
        analysis[progressKey] = 100
        options.onDone()
      } else {
        analysis[progressKey] = progress
      }
      touch(runtime, analysis)
    })
  }
}

export function startBuild(runtime: HubRuntime, analysis: AnalysisEntity): void {
  const timing = runtime.timing(analysis.id)
  timing.buildStartedAt = performance.now()

  runWorkerPhase(runtime, analysis, 'build', {
    // Steps of 20 %: failing at step 3 reports 60 %, stalling at step 2 leaves 40 %.
    failAt: runtime.faults.buildFails === true ? 3 : undefined,
    stallAt: runtime.faults.buildStalls === true ? 2 : undefined,
    onDone: () => {
      analysis.buildHash = randomHex(32)
      analysis.buildOs = 'linux'
      analysis.buildSize = 431_000_000
      timing.buildMs = performance.now() - (timing.buildStartedAt ?? 0)
    }
  })
}

export function startDistribution(runtime: HubRuntime, analysis: AnalysisEntity): void {
  const timing = runtime.timing(analysis.id)
  timing.distributionStartedAt = performance.now()

  runWorkerPhase(runtime, analysis, 'distribution', {
    // Failing at step 3 reports 60 %, and stalling at step 2 leaves 40 %.
    failAt: runtime.faults.distributionFails === true ? 3 : undefined,
    stallAt: runtime.faults.distributionStalls === true ? 2 : undefined,
    onDone: () => {
      const now = performance.now()
      timing.distributionMs = now - (timing.distributionStartedAt ?? 0)
      timing.distributedAt = now
      for (const row of runtime.world.nodesOfAnalysis(analysis.id)) {
        row.artifactTag = `${analysis.id}:${analysis.buildHash?.slice(0, 12) ?? 'latest'}`
        row.artifactDigest = `sha256:${randomHex(32)}`
        row.updatedAt = isoNow()
      }
      prepareWorkspace(runtime, analysis)
      scheduleAutostart(runtime, analysis)
    }
  })
}

/** Copies the CODE bucket into the analysis workspace, as the built image would contain it. */
function prepareWorkspace(runtime: HubRuntime, analysis: AnalysisEntity): void {
  const codeBucket = runtime.world.bucketOfAnalysis(analysis.id, 'CODE')
  const files =
    codeBucket === undefined
      ? []
      : runtime.world.filesOfStorageBucket(codeBucket.bucketId).map((file) => ({
          path: file.path,
          content: runtime.world.storageContents.get(file.id) ?? Buffer.alloc(0)
        }))
  runtime.executions.prepare(analysis.id, files)
}

/** Schedules the autostart of each approved node that is not down. */
function scheduleAutostart(runtime: HubRuntime, analysis: AnalysisEntity): void {
  const rows = runtime.world.nodesOfAnalysis(analysis.id)
  const participants = rows.flatMap((row) => {
    const node = runtime.world.nodes.get(row.nodeId)
    return node === undefined ? [] : [{ nodeId: node.id, nodeType: node.type }]
  })

  for (const row of rows) {
    const node = runtime.world.nodes.get(row.nodeId)
    if (node === undefined || row.approvalStatus !== 'approved' || row.executionStatus !== null) continue
    if (runtime.nodeFaults(node).down === true) {
      runtime.log(`analysis ${analysis.id}: node ${node.name} is down and will not start`)
      continue
    }
    const factor = runtime.phaseFactor(node)

    runtime.scheduler.after(phaseSeconds.autostart, factor, analysis.id, () => {
      if (!alive(runtime, analysis)) return
      setNodeStatus(runtime, analysis, row, 'starting', null)
    })
    runtime.scheduler.after(phaseSeconds.autostart + phaseSeconds.podStart, factor, analysis.id, () => {
      if (!alive(runtime, analysis)) return
      setNodeStatus(runtime, analysis, row, 'started', 0)
    })
    runtime.scheduler.after(phaseSeconds.autostart + phaseSeconds.podStart + phaseSeconds.podReady, factor, analysis.id, () => {
      if (!alive(runtime, analysis)) return
      setNodeStatus(runtime, analysis, row, 'executing', 10)
      runNode(runtime, analysis, row, node.type, participants, factor)
    })
  }
}

function setNodeStatus(
  runtime: HubRuntime,
  analysis: AnalysisEntity,
  row: AnalysisNodeEntity,
  status: AnalysisNodeEntity['executionStatus'],
  progress: number | null
): void {
  row.executionStatus = status
  row.executionProgress = progress
  row.updatedAt = isoNow()
  touch(runtime, analysis)
}

function runNode(
  runtime: HubRuntime,
  analysis: AnalysisEntity,
  row: AnalysisNodeEntity,
  role: 'default' | 'aggregator',
  participants: Array<{ nodeId: string; nodeType: 'default' | 'aggregator' }>,
  factor: number
): void {
  const node = runtime.world.nodes.get(row.nodeId)
  const entrypoint = [...runtime.world.analysisBucketFiles.values()].find(
    (file) => file.analysisId === analysis.id && file.root && file.analysisBucketId === runtime.world.bucketOfAnalysis(analysis.id, 'CODE')?.id
  )
  const earliestEnd = performance.now() + runtime.scheduler.realMs(phaseSeconds.execution, factor)

  const finish = (ok: boolean): void => {
    runtime.scheduler.afterMs(earliestEnd - performance.now(), analysis.id, () => {
      if (!alive(runtime, analysis)) return
      setNodeStatus(runtime, analysis, row, ok ? 'executed' : 'failed', ok ? 100 : row.executionProgress)
      if (ok) runtime.timing(analysis.id).executedAt = performance.now()
    })
  }

  if (entrypoint === undefined || node === undefined) {
    runtime.log(`analysis ${analysis.id}: no entrypoint file, so node ${row.nodeId} fails`)
    finish(false)
    return
  }

  runtime.executions
    .run({
      analysisId: analysis.id,
      projectId: analysis.projectId,
      nodeId: node.id,
      role,
      participants,
      entrypoint: entrypoint.path,
      fail: runtime.nodeFaults(node).executionFails === true
    })
    .then((result) => {
      if (!alive(runtime, analysis)) return
      runtime.log(
        `analysis ${analysis.id}: node ${node.name} python run ended with exit code ${String(result.exitCode)} after ${Math.round(result.durationMs)} ms`
      )
      if (result.ok && role === 'aggregator') storeResult(runtime, analysis, result.outputs)
      finish(result.ok)
    })
    .catch((error: unknown) => {
      runtime.log(`analysis ${analysis.id}: node ${node.name} run failed to start: ${String(error)}`)
      finish(false)
    })
}

/** Uploads the aggregator's files to the RESULT bucket and links them, as the node's storage service does. */
function storeResult(runtime: HubRuntime, analysis: AnalysisEntity, outputs: Array<{ name: string; content: Buffer }>): void {
  const resultBucket = runtime.world.bucketOfAnalysis(analysis.id, 'RESULT')
  const timing = runtime.timing(analysis.id)
  timing.resultAt = performance.now()
  if (resultBucket === undefined) {
    runtime.log(`analysis ${analysis.id}: the RESULT bucket does not exist, so the result is lost`)
    return
  }
  if (runtime.faults.emptyResult === true) return

  const storageBucket = runtime.world.storageBuckets.get(resultBucket.bucketId)
  if (storageBucket === undefined) return
  const aggregatorNode = [...runtime.world.nodes.values()].find((node) => node.type === 'aggregator')
  for (const output of outputs) {
    const content = rewritePayload(runtime, analysis, output.content)
    const file = runtime.world.addStorageFile(storageBucket, output.name, content, aggregatorNode?.clientId ?? analysis.userId)
    file.actorType = 'client'
    addBucketFileRow(runtime, analysis, resultBucket.id, file)
  }
}

/** Applies the payload faults to a JSON result. Other content stays as it is. */
function rewritePayload(runtime: HubRuntime, analysis: AnalysisEntity, content: Buffer): Buffer {
  const faults = runtime.faults
  if (faults.payloadOverallFalse !== true && faults.payloadMissingNode !== true) return content

  let payload: Record<string, unknown>
  try {
    payload = JSON.parse(content.toString('utf8')) as Record<string, unknown>
  } catch {
    return content
  }
  if (faults.payloadOverallFalse === true) payload.overall_success = false
  if (faults.payloadMissingNode === true && typeof payload.node_results === 'object' && payload.node_results !== null) {
    const results = payload.node_results as Record<string, unknown>
    for (const row of runtime.world.nodesOfAnalysis(analysis.id)) {
      if (runtime.world.nodes.get(row.nodeId)?.type === 'default') delete results[row.nodeId]
    }
    payload.nodes_responded = Object.keys(results).length
  }
  return Buffer.from(JSON.stringify(payload), 'utf8')
}

/** Deletes an analysis with its rows, buckets, pending work and python runs. */
export function discardAnalysis(runtime: HubRuntime, analysisId: string): void {
  const world = runtime.world
  runtime.scheduler.cancelGroup(analysisId)
  runtime.executions.discard(analysisId)
  world.analyses.delete(analysisId)

  for (const [id, row] of world.analysisNodes) if (row.analysisId === analysisId) world.analysisNodes.delete(id)
  for (const [id, row] of world.analysisBucketFiles) if (row.analysisId === analysisId) world.analysisBucketFiles.delete(id)
  for (const [id, row] of world.analysisBuckets) {
    if (row.analysisId !== analysisId) continue
    world.analysisBuckets.delete(id)
    for (const file of world.filesOfStorageBucket(row.bucketId)) {
      world.storageFiles.delete(file.id)
      world.storageContents.delete(file.id)
    }
    world.storageBuckets.delete(row.bucketId)
  }
}
