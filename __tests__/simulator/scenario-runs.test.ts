// Scenarios whose effect shows only in a full pair round with real python runs. The tests run
// concurrently, each against its own simulator, because each spends most of its time waiting.

import { afterAll, expect, test } from '@jest/globals'

import { startHubSimulator, type HubSimulator, type HubSimulatorOptions } from '../../simulator/hub/index.js'
import { call, downloadResult, readTar, runPair, token } from './helpers.js'

const started: HubSimulator[] = []

afterAll(async () => {
  await Promise.all(started.map((sim) => sim.stop()))
})

async function start(scenario: string, options: HubSimulatorOptions = {}): Promise<HubSimulator> {
  const sim = await startHubSimulator({ timeScale: 0.01, scenario, ...options })
  started.push(sim)
  return sim
}

async function resultPayload(target: HubSimulator, analysisId: string): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const entries = readTar(new Uint8Array(await (await downloadResult(target, analysisId)).arrayBuffer()))
  expect(entries).toHaveLength(1)
  return JSON.parse(entries[0]?.content.toString('utf8') ?? '')
}

test.concurrent('build-fails ends the build failed', async () => {
  const run = await runPair(await start('build-fails'))
  expect(run.failedAt).toBe('build failed')
  expect(run.analysis.buildStatus).toBe('failed')
  expect(run.analysis.buildProgress).toBe(60)
})

test.concurrent('build-stalls keeps the build started', async () => {
  const run = await runPair(await start('build-stalls'), { phaseTimeoutMs: 800 })
  expect(run.failedAt).toBe('build timed out')
  expect(run.analysis.buildStatus).toBe('started')
  expect(run.analysis.buildProgress).toBe(40)
})

test.concurrent('distribution-fails ends the distribution failed', async () => {
  const run = await runPair(await start('distribution-fails'))
  expect(run.failedAt).toBe('distribution failed')
  expect(run.analysis.distributionStatus).toBe('failed')
  expect(run.analysis.distributionProgress).toBe(60)
})

test.concurrent('distribution-stalls keeps the distribution started', async () => {
  const run = await runPair(await start('distribution-stalls'), { phaseTimeoutMs: 800 })
  expect(run.failedAt).toBe('distribution timed out')
  expect(run.analysis.distributionStatus).toBe('started')
  expect(run.analysis.distributionProgress).toBe(40)
})

test.concurrent('no-registry rejects distribution to default-2', async () => {
  const target = await start('no-registry')
  const run = await runPair(target, { nodeName: 'default-2' })
  expect(run.failedAt).toBe('distributionStart: The node default-2 is not assigned to a registry yet.')

  const healthy = await runPair(target, { nodeName: 'default-1' })
  expect(healthy.failedAt).toBeUndefined()
})

test.concurrent('node-down leaves the node unstarted', async () => {
  // The aggregator waits for the missing analyzer until the python deadline (1 s here), then fails.
  const target = await start('node-down', { executionTimeoutSeconds: 1 })
  const run = await runPair(target, { nodeName: 'default-2', finishWhen: 'aggregator' })
  expect(run.failedAt).toBeUndefined()
  expect(run.nodeStatus[run.nodeId]).toBeNull()
  expect(run.nodeStatus[run.aggregatorId]).toBe('failed')
})

test.concurrent('execution-fails fails default-2 and its aggregator', async () => {
  const target = await start('execution-fails')
  const run = await runPair(target, { nodeName: 'default-2' })
  expect(run.nodeStatus[run.nodeId]).toBe('failed')
  expect(run.nodeStatus[run.aggregatorId]).toBe('failed')
  expect(run.analysis.executionStatus === 'executed').toBe(false)

  // The python traceback is served as node logs, as the Hub serves pod logs.
  const logs = await call(target.coreUrl, await token(target), 'GET', `analysis-node-logs?filter[analysisId]=${run.analysisId}&filter[nodeId]=${run.nodeId}`)
  expect(logs.status).toBe(200)
  const messages = (logs.body.data as Array<{ message: string }>).map((entry) => entry.message).join('\n')
  expect(messages).toContain('FLAME_SIM_FAIL=1')
})

test.concurrent('aggregator-fails leaves the result empty', async () => {
  const target = await start('aggregator-fails')
  const run = await runPair(target)
  expect(run.nodeStatus[run.nodeId]).toBe('executed')
  expect(run.nodeStatus[run.aggregatorId]).toBe('failed')
  const entries = readTar(new Uint8Array(await (await downloadResult(target, run.analysisId)).arrayBuffer()))
  expect(entries).toHaveLength(0)
})

test.concurrent('empty-result executes without a file', async () => {
  const target = await start('empty-result')
  const run = await runPair(target)
  expect(run.nodeStatus[run.aggregatorId]).toBe('executed')
  const archive = new Uint8Array(await (await downloadResult(target, run.analysisId)).arrayBuffer())
  expect(archive.length).toBe(1024)
  expect(readTar(archive)).toHaveLength(0)
})

test.concurrent('overall-false rewrites the payload', async () => {
  const target = await start('overall-false')
  const run = await runPair(target)
  const payload = await resultPayload(target, run.analysisId)
  expect(payload.overall_success).toBe(false)
  expect(payload.node_results[run.nodeId]).toBe('ok')
})

test.concurrent('missing-node drops the compute node', async () => {
  const target = await start('missing-node')
  const run = await runPair(target)
  const payload = await resultPayload(target, run.analysisId)
  expect(payload.overall_success).toBe(true)
  expect(payload.node_results).toEqual({ [run.aggregatorId]: 'ok' })
  expect(payload.nodes_responded).toBe(1)
})

test.concurrent('slow scenario triples the inherent time', async () => {
  const target = await start('slow')
  const run = await runPair(target)
  expect(run.failedAt).toBeUndefined()
  // About 85 simulated seconds × 3 × 0.01, plus python time.
  expect(target.inherentWallSeconds()[run.analysisId]).toBeGreaterThan(2.3)
})
