// Scenarios and fault knobs that show without a python run, plus the compact fault syntax.

import { gunzipSync } from 'node:zlib'

import { afterAll, describe, expect, test } from '@jest/globals'

import {
  parseFault,
  scenarioNames,
  startHubSimulator,
  type HubSimulator,
  type HubSimulatorOptions
} from '../../simulator/hub/index.js'
import { call, readTar, record, token, upload, waitFor } from './helpers.js'

const started: HubSimulator[] = []

afterAll(async () => {
  await Promise.all(started.map((sim) => sim.stop()))
})

async function start(scenario: string, options: HubSimulatorOptions = {}): Promise<HubSimulator> {
  const sim = await startHubSimulator({ timeScale: 0.01, scenario, ...options })
  started.push(sim)
  return sim
}

/** Creates a project with the pair and an analysis, and waits until the expected buckets exist. */
async function prepareAnalysis(sim: HubSimulator, accessToken: string, bucketCount = 3) {
  const get = (path: string) => call(sim.coreUrl, accessToken, 'GET', path)
  const post = (path: string, body: unknown) => call(sim.coreUrl, accessToken, 'POST', path, body)
  const image = (await get('master-images')).body.data[0]
  const project = record(await post('projects', { name: `p-${crypto.randomUUID()}`, masterImageId: image?.id }), 'e4')
  for (const name of ['aggregator-1', 'default-1']) {
    await post('project-nodes', { projectId: project.id, nodeId: sim.world.nodeByName(name)?.id })
  }
  const analysis = record(await post('analyses', { projectId: project.id }), 'e4')
  const buckets = await waitFor('the buckets', async () => {
    const rows = (await get(`analysis-buckets?filter[analysisId]=${analysis.id}`)).body.data as Array<{ type: string; bucketId: string; id: string }>
    return rows.length === bucketCount ? rows : undefined
  })
  return { analysis, buckets, get, post }
}

/** Puts a result file into the RESULT bucket directly and returns a fetch of the stream. */
async function resultStream(sim: HubSimulator, signal?: AbortSignal): Promise<Response> {
  const accessToken = await token(sim)
  const { buckets } = await prepareAnalysis(sim, accessToken)
  const bucketId = buckets.find((bucket) => bucket.type === 'RESULT')?.bucketId ?? ''
  expect((await upload(sim, accessToken, bucketId, 'result_abcd_260101000000', '{"overall_success": true}')).status).toBe(201)
  return fetch(`${sim.storageUrl}buckets/${bucketId}/stream`, { headers: { authorization: `Bearer ${accessToken}` }, signal })
}

describe('fault syntax', () => {
  test('parses node and global knobs', () => {
    const spec = parseFault('default-2:down')
    parseFault('analysis-404:4', spec)
    parseFault('server-errors:3/7', spec)
    parseFault('default-1:analysis-approval:pending', spec)
    parseFault('bucket-never:RESULT', spec)
    expect(spec).toEqual({
      nodes: { 'default-2': { down: true }, 'default-1': { analysisApproval: 'pending' } },
      analysisNotFound: 4,
      serverErrors: { burst: 3, every: 7, status: 502 },
      bucketNever: ['RESULT']
    })
  })

  test('rejects bad knobs and values', () => {
    expect(() => parseFault('default-2:explode')).toThrow('Invalid fault "default-2:explode"')
    expect(() => parseFault('analysis-404:many')).toThrow('Invalid value "many" for fault "analysis-404"')
    expect(() => parseFault('server-errors:5/2')).toThrow('BURST must be at least 1 and at most EVERY')
    expect(() => parseFault('down')).toThrow('Invalid fault "down"')
  })

  test('unknown node in faults fails start', async () => {
    await expect(startHubSimulator({ faults: { nodes: { 'default-9': { down: true } } } })).rejects.toThrow('Unknown node "default-9"')
  })

  test('every scenario starts', async () => {
    for (const name of scenarioNames()) {
      const sim = await startHubSimulator({ scenario: name })
      const reply = await call(sim.coreUrl, undefined, 'GET', '')
      await sim.stop()
      expect({ name, status: reply.status }).toEqual({ name, status: 200 })
    }
  })
})

test.concurrent('transient-404 answers 404 three times', async () => {
  const sim = await start('transient-404')
  const accessToken = await token(sim)
  const { analysis, get } = await prepareAnalysis(sim, accessToken)
  const statuses: number[] = []
  for (let index = 0; index < 5; index++) statuses.push((await get(`analyses/${analysis.id}`)).status)
  expect(statuses).toEqual([404, 404, 404, 200, 200])
})

test.concurrent('server-errors answers 502 in bursts', async () => {
  const sim = await start('server-errors')
  const accessToken = await token(sim)
  const statuses: number[] = []
  for (let index = 0; index < 20; index++) statuses.push((await call(sim.coreUrl, accessToken, 'GET', 'nodes')).status)
  expect(statuses.filter((status) => status === 502)).toHaveLength(4)
  expect(statuses.slice(0, 3)).toEqual([502, 502, 200])

  // Writes are not hit, so a client never sees a failed write it might repeat.
  expect((await call(sim.coreUrl, accessToken, 'POST', 'projects', { name: 'written' })).status).toBe(201)
})

test.concurrent('rate-limit answers 429 with retry-after', async () => {
  const sim = await start('rate-limit')
  const accessToken = await token(sim)
  const first = await call(sim.coreUrl, accessToken, 'GET', 'nodes')
  expect(first.status).toBe(429)
  expect(first.headers.get('retry-after')).toBe('1')
  expect(first.body.statusCode).toBe(429)
  expect((await call(sim.coreUrl, accessToken, 'GET', 'nodes')).status).toBe(429)
  expect((await call(sim.coreUrl, accessToken, 'GET', 'nodes')).status).toBe(200)
  expect(sim.stats().rateLimited).toBe(2)
})

test.concurrent('stalled-stream stops after 512 bytes', async () => {
  const sim = await start('stalled-stream')
  const response = await resultStream(sim, AbortSignal.timeout(1000))
  expect(response.status).toBe(200)
  const reader = response.body?.getReader()
  const first = await reader?.read()
  expect(first?.value?.length).toBe(512)
  await expect(reader?.read()).rejects.toThrow()
})

test.concurrent('stalled streams count as concurrent', async () => {
  const sim = await start('stalled-stream')
  const accessToken = await token(sim)
  const { buckets } = await prepareAnalysis(sim, accessToken)
  const bucketId = buckets.find((bucket) => bucket.type === 'RESULT')?.bucketId ?? ''
  await upload(sim, accessToken, bucketId, 'result', 'x')
  sim.resetStats()

  const controller = new AbortController()
  const streams = await Promise.all(
    [1, 2, 3].map(() => fetch(`${sim.storageUrl}buckets/${bucketId}/stream`, { headers: { authorization: `Bearer ${accessToken}` }, signal: controller.signal }))
  )
  expect(streams.map((response) => response.status)).toEqual([200, 200, 200])
  await call(sim.coreUrl, accessToken, 'GET', 'nodes')
  expect(sim.stats().peakConcurrent).toBe(4)
  expect(sim.stats().byEndpoint['GET /storage/buckets/:id/stream']).toBe(3)
  controller.abort()
})

test.concurrent('latency shows client concurrency', async () => {
  const sim = await start('healthy', { latencyMs: 50 })
  const accessToken = await token(sim)
  sim.resetStats()
  const replies = await Promise.all([1, 2, 3, 4, 5].map(() => call(sim.coreUrl, accessToken, 'GET', 'nodes')))
  expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200, 200, 200])
  expect(sim.stats().peakConcurrent).toBe(5)
})

test.concurrent('corrupt-tar breaks the header checksum', async () => {
  const sim = await start('corrupt-tar')
  const archive = Buffer.from(await (await resultStream(sim)).arrayBuffer())
  expect(archive.length).toBeLessThan(1024)
  const header = Buffer.from(archive.subarray(0, 512))
  const stored = header.subarray(148, 156).toString('latin1')
  header.fill(' ', 148, 156)
  const sum = header.reduce((total, byte) => total + byte, 0)
  expect(parseInt(stored, 8)).not.toBe(sum)
})

test.concurrent('gzip-result compresses the tar', async () => {
  const sim = await start('gzip-result')
  const response = await resultStream(sim)
  expect(response.headers.get('content-type')).toBe('application/x-tar')
  const archive = Buffer.from(await response.arrayBuffer())
  expect([archive[0], archive[1]]).toEqual([0x1f, 0x8b])
  expect(readTar(gunzipSync(archive)).map((entry) => entry.name)).toEqual(['result_abcd_260101000000'])
})

test.concurrent('online-flag sets node flags', async () => {
  const sim = await start('online-flag')
  const nodes = (await call(sim.coreUrl, await token(sim), 'GET', 'nodes')).body.data as Array<{ name: string; online: boolean }>
  expect(Object.fromEntries(nodes.map((node) => [node.name, node.online]))).toEqual({
    'aggregator-1': true,
    'default-1': true,
    'default-2': false
  })

  const healthy = await start('healthy')
  const plain = (await call(healthy.coreUrl, await token(healthy), 'GET', 'nodes')).body.data as Array<{ online: boolean }>
  expect(plain.every((node) => !node.online)).toBe(true)
})

test.concurrent('no-registry clears the registry id', async () => {
  const sim = await start('no-registry')
  const nodes = (await call(sim.coreUrl, await token(sim), 'GET', 'nodes')).body.data as Array<{ name: string; registryId: string | null }>
  expect(nodes.find((node) => node.name === 'default-2')?.registryId).toBeNull()
  expect(nodes.find((node) => node.name === 'default-1')?.registryId).toEqual(expect.any(String))
})

test.concurrent('setup-fails rejects project creation', async () => {
  const sim = await start('setup-fails')
  const reply = await call(sim.coreUrl, await token(sim), 'POST', 'projects', { name: 'health-check' })
  expect(reply.status).toBe(403)
  expect(reply.body.code).toBe('permission_denied')
})

test.concurrent('no-master-image lists no images', async () => {
  const sim = await start('no-master-image')
  const reply = await call(sim.coreUrl, await token(sim), 'GET', 'master-images')
  expect(reply.body.data).toEqual([])
  expect(reply.body.meta.total).toBe(0)
})

test.concurrent('bucket-never withholds the CODE bucket', async () => {
  const sim = await start('bucket-never')
  const accessToken = await token(sim)
  const { analysis, buckets, get, post } = await prepareAnalysis(sim, accessToken, 2)
  expect(buckets.map((bucket) => bucket.type).sort()).toEqual(['RESULT', 'TEMP'])

  expect((await post(`analyses/${analysis.id}/command`, { command: 'storageCheck' })).status).toBe(202)
  await new Promise((resolve) => setTimeout(resolve, 100))
  expect((await get(`analysis-buckets?filter[analysisId]=${analysis.id}`)).body.meta.total).toBe(2)
})

test.concurrent('upload-rejected answers 507', async () => {
  const sim = await start('upload-rejected')
  const accessToken = await token(sim)
  const { buckets } = await prepareAnalysis(sim, accessToken)
  const reply = await upload(sim, accessToken, buckets[0]?.bucketId ?? '', 'main.py', 'print(1)')
  expect(reply.status).toBe(507)
  expect(reply.body.code).toBe('storage_insufficient')
})

test.concurrent('mirror-never keeps bucket files empty', async () => {
  const sim = await start('mirror-never')
  const accessToken = await token(sim)
  const { buckets, get } = await prepareAnalysis(sim, accessToken)
  const code = buckets.find((bucket) => bucket.type === 'CODE')
  expect((await upload(sim, accessToken, code?.bucketId ?? '', 'main.py', 'print(1)')).status).toBe(201)
  // The mirror delay is 15 ms at this time scale, so wait ten times as long.
  await new Promise((resolve) => setTimeout(resolve, 150))
  expect((await get(`analysis-bucket-files?filter[analysisBucketId]=${code?.id}`)).body.data).toEqual([])
})

test.concurrent('pending analysis approval blocks the build', async () => {
  const sim = await start('healthy', { faults: { nodes: { 'default-1': { analysisApproval: 'pending' } } } })
  const accessToken = await token(sim)
  const { analysis, get, post } = await prepareAnalysis(sim, accessToken)
  const rows = (await get(`analysis-nodes?filter[analysisId]=${analysis.id}`)).body.data as Array<{ nodeId: string; approvalStatus: string | null }>
  const byNode = Object.fromEntries(rows.map((row) => [row.nodeId, row.approvalStatus]))
  expect(byNode[sim.world.nodeByName('aggregator-1')?.id ?? '']).toBe('approved')
  expect(byNode[sim.world.nodeByName('default-1')?.id ?? '']).toBeNull()

  const fresh = record(await get(`analyses/${analysis.id}`), 'e4')
  expect(fresh.buildNodesValid).toBe(false)
  expect((await post(`analyses/${analysis.id}/command`, { command: 'buildStart' })).body.message).toBe('The analysis configuration is not locked.')
})
