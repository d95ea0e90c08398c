// Shared setup for the simulator tests: a simulator per test, a client on a fake clock, polling on
// real time and the call sequence of one round for the pair aggregator-1 + default-1.

import { afterEach, expect } from '@jest/globals'
import { readFile } from 'node:fs/promises'
import { startHubSimulator, type HubSimulator, type HubSimulatorOptions } from '../../simulator/hub/index.js'
import { systemClock } from '../../src/clock.js'
import { HubClient, type HubClientOptions } from '../../src/hub/client.js'
import { isFailureStatus, isSuccessStatus, type Analysis, type AnalysisBucket, type HubNode } from '../../src/hub/model.js'
import { FakeClock } from './fake-clock.js'

const TIME_SCALE = 0.01
const SCRIPT_NAME = '00_test_connection.py'
const simulators: HubSimulator[] = []

afterEach(async () => {
  await Promise.all(simulators.splice(0).map((simulator) => simulator.stop()))
})

export async function setup(simulatorOptions: HubSimulatorOptions, clientOptions: Partial<HubClientOptions> = {}) {
  const simulator = await startHubSimulator({ timeScale: TIME_SCALE, port: 0, ...simulatorOptions })
  simulators.push(simulator)
  const clock = new FakeClock()
  const logLines: string[] = []
  const client = new HubClient({
    authUrl: simulator.authUrl,
    coreUrl: simulator.coreUrl,
    storageUrl: simulator.storageUrl,
    username: simulator.username,
    password: simulator.password,
    clock,
    random: () => 0.5,
    log: {
      debug: (line) => logLines.push(line),
      info: (line) => logLines.push(line),
      warning: (line) => logLines.push(line)
    },
    ...clientOptions
  })
  return { simulator, client, clock, logLines }
}

/** Polls `probe` on real time until it returns a value, because the simulator's phases run on real (scaled) time. */
export async function waitFor<T>(description: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) {
      return value
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}`)
    }
    await systemClock.sleep(25)
  }
}

export async function waitForPhase(client: HubClient, analysisId: string, field: 'buildStatus' | 'distributionStatus'): Promise<Analysis> {
  return waitFor(field, async () => {
    const analysis = await client.getAnalysis(analysisId)
    return isSuccessStatus(analysis[field]) || isFailureStatus(analysis[field]) ? analysis : undefined
  })
}

/** Reads the regular files of an uncompressed tar: name at offset 0, octal size at offset 124. */
export function readTar(archive: Uint8Array): Map<string, string> {
  const files = new Map<string, string>()
  const decoder = new TextDecoder()
  let offset = 0
  while (offset + 512 <= archive.byteLength) {
    const header = archive.subarray(offset, offset + 512)
    if (header.every((byte) => byte === 0)) {
      break
    }
    const name = decoder.decode(header.subarray(0, 100)).replace(/\0.*$/s, '')
    const size = parseInt(decoder.decode(header.subarray(124, 136)).replace(/\0.*$/s, '').trim() || '0', 8)
    files.set(name, decoder.decode(archive.subarray(offset + 512, offset + 512 + size)))
    offset += 512 + Math.ceil(size / 512) * 512
  }
  return files
}

export interface PairResult {
  analysis: Analysis
  result: AnalysisBucket
  aggregator: HubNode
  worker: HubNode
}

/** Runs the calls of one round for the pair aggregator-1 + default-1 up to the finished execution. */
export async function runPair(client: HubClient): Promise<PairResult> {
  await client.login()
  const nodes = await client.listNodes()
  const aggregator = nodes.find((node) => node.type === 'aggregator')
  const worker = nodes.find((node) => node.name === 'default-1')
  if (aggregator === undefined || worker === undefined) {
    throw new Error(`Simulator nodes missing: ${nodes.map((node) => node.name).join(', ')}`)
  }

  const project = (await client.findProject('health-check')) ?? (await client.createProject('health-check'))
  const members = new Set((await client.listProjectNodes(project.id)).map((row) => row.nodeId))
  for (const node of [aggregator, worker]) {
    if (!members.has(node.id)) {
      await client.addProjectNode(project.id, node.id)
    }
  }

  const image = (await client.listMasterImages()).find((item) => item.virtualPath === 'python/base')
  const analysis = await client.createAnalysis({ projectId: project.id, name: `health-check-${Date.now()}`, masterImageId: image?.id ?? null })

  const code = await waitFor('the CODE bucket', async () => (await client.listAnalysisBuckets(analysis.id)).find((bucket) => bucket.type === 'CODE'))
  const script = await readFile(new URL(`../../flame_checks/${SCRIPT_NAME}`, import.meta.url))
  const uploaded = await client.uploadFile(code.bucketId!, SCRIPT_NAME, new Uint8Array(script))
  expect(uploaded.map((file) => file.path)).toEqual([SCRIPT_NAME])

  const file = await waitFor('the mirrored script', async () => (await client.listAnalysisBucketFiles(code.id)).find((row) => row.path === SCRIPT_NAME))
  expect((await client.markEntrypoint(file.id)).root).toBe(true)

  // Trim the analysis to exactly the pair: the Hub may have added every approved project node.
  for (const row of await client.listAnalysisNodes(analysis.id)) {
    if (row.nodeId !== aggregator.id && row.nodeId !== worker.id) {
      await client.removeAnalysisNode(row.id)
    }
  }
  await client.addAnalysisNode(analysis.id, aggregator.id)
  await client.addAnalysisNode(analysis.id, worker.id)

  expect((await client.sendCommand(analysis.id, 'configurationLock')).configurationLocked).toBe(true)
  await client.sendCommand(analysis.id, 'buildStart')
  expect((await waitForPhase(client, analysis.id, 'buildStatus')).buildStatus).toBe('executed')
  await client.sendCommand(analysis.id, 'distributionStart')
  expect((await waitForPhase(client, analysis.id, 'distributionStatus')).distributionStatus).toBe('executed')

  await waitFor('both nodes executed', async () => {
    const rows = await client.listAnalysisNodes(analysis.id)
    return rows.length === 2 && rows.every((row) => isSuccessStatus(row.executionStatus)) ? rows : undefined
  })

  const result = (await client.listAnalysisBuckets(analysis.id)).find((bucket) => bucket.type === 'RESULT')
  if (result?.bucketId === null || result === undefined) {
    throw new Error('The RESULT bucket is missing')
  }
  return { analysis, result, aggregator, worker }
}

