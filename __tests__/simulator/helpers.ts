// Raw HTTP helpers for the simulator tests: they talk to the simulator the way a client does, with fetch
// and no project client code, so the tests pin the wire format itself.

import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import type { HubSimulator } from '../../simulator/hub/index.js'

export const CHECK_SCRIPT = fileURLToPath(new URL('../../flame_checks/00_test_connection.py', import.meta.url))

export interface Reply {
  status: number
  headers: Headers
  body: any // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function login(sim: HubSimulator, password = sim.password): Promise<Reply> {
  const response = await fetch(`${sim.authUrl}token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'password', username: sim.username, password })
  })
  return { status: response.status, headers: response.headers, body: await response.json() }
}

export async function token(sim: HubSimulator): Promise<string> {
  const reply = await login(sim)
  if (reply.status !== 200) throw new Error(`login failed with ${reply.status}: ${JSON.stringify(reply.body)}`)
  return reply.body.access_token as string
}

/** Sends one JSON request to core or storage. `path` is relative to the service base URL. */
export async function call(
  base: string,
  accessToken: string | undefined,
  method: string,
  path: string,
  body?: unknown
): Promise<Reply> {
  const headers: Record<string, string> = {}
  if (accessToken !== undefined) headers.authorization = `Bearer ${accessToken}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = text === '' ? undefined : JSON.parse(text)
  } catch {
    // Not JSON: keep the text.
  }
  return { status: response.status, headers: response.headers, body: parsed }
}

/** Unwraps an E4 record envelope. E3 records are bare. */
export function record(reply: Reply, era: 'e3' | 'e4'): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  return era === 'e4' ? reply.body.data : reply.body
}

export function key(name: string, era: 'e3' | 'e4'): string {
  return era === 'e3' ? name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`) : name
}

export async function upload(sim: HubSimulator, accessToken: string, bucketId: string, path: string, content: string): Promise<Reply> {
  const form = new FormData()
  form.append(crypto.randomUUID(), new Blob([content]), path)
  const response = await fetch(`${sim.storageUrl}buckets/${bucketId}/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}` },
    body: form
  })
  return { status: response.status, headers: response.headers, body: await response.json() }
}

/** Reads the regular files of an uncompressed tar (512-byte ustar headers). */
export function readTar(archive: Uint8Array): Array<{ name: string; content: Buffer }> {
  const buffer = Buffer.from(archive)
  const entries: Array<{ name: string; content: Buffer }> = []
  let offset = 0
  while (offset + 512 <= buffer.length) {
    const header = buffer.subarray(offset, offset + 512)
    if (header.every((byte) => byte === 0)) break
    const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '')
    const prefix = header.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '')
    const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim(), 8)
    offset += 512
    entries.push({ name: prefix === '' ? name : `${prefix}/${name}`, content: buffer.subarray(offset, offset + size) })
    offset += Math.ceil(size / 512) * 512
  }
  return entries
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export interface PairRun {
  projectId: string
  analysisId: string
  aggregatorId: string
  nodeId: string
  /** The analysis after the last poll. */
  analysis: any // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Per-node execution status at the end, keyed by node id. */
  nodeStatus: Record<string, string | null>
  failedAt?: string
}

/**
 * Runs the health check's call sequence for one pair (aggregator-1 with `nodeName`) with raw requests and
 * stops at the first phase that fails. Returns what the round would need for its verdict.
 */
export interface PairOptions {
  nodeName?: string
  projectName?: string
  /** How long to wait for each of build, distribution and execution. */
  phaseTimeoutMs?: number
  /** Stop when every node is terminal (default) or when the aggregator is. */
  finishWhen?: 'all' | 'aggregator'
}

export async function runPair(sim: HubSimulator, options: PairOptions = {}): Promise<PairRun> {
  const nodeName = options.nodeName ?? 'default-1'
  const projectName = options.projectName ?? 'health-check'
  const phaseTimeoutMs = options.phaseTimeoutMs ?? 15_000
  const era = sim.era
  const core = sim.coreUrl
  const accessToken = await token(sim)
  const get = (path: string): Promise<Reply> => call(core, accessToken, 'GET', path)
  const post = (path: string, body: unknown): Promise<Reply> => call(core, accessToken, 'POST', path, body)

  const nodes = (await get(`nodes?filter[name]=aggregator-1,${nodeName}`)).body.data as Array<{ id: string; name: string }>
  const aggregatorId = nodes.find((node) => node.name === 'aggregator-1')?.id ?? ''
  const nodeId = nodes.find((node) => node.name === nodeName)?.id ?? ''
  const images = (await get(`master-images?filter[${key('virtualPath', era)}]=python/base`)).body.data

  let project = (await get(`projects?filter[name]=${projectName}`)).body.data[0]
  if (project === undefined) {
    project = record(await post('projects', { name: projectName, [key('masterImageId', era)]: images[0].id }), era)
  }
  for (const id of [aggregatorId, nodeId]) {
    const existing = (await get(`project-nodes?filter[${key('projectId', era)}]=${project.id}&filter[${key('nodeId', era)}]=${id}`)).body.data
    if (existing.length === 0) await post('project-nodes', { [key('projectId', era)]: project.id, [key('nodeId', era)]: id })
  }

  const created = await post('analyses', { [key('projectId', era)]: project.id, name: `hc-${nodeName}` })
  const analysisId = record(created, era).id as string
  const result: PairRun = { projectId: project.id, analysisId, aggregatorId, nodeId, analysis: record(created, era), nodeStatus: {} }

  // Trim the analysis to exactly the pair.
  const members = (await get(`analysis-nodes?filter[${key('analysisId', era)}]=${analysisId}`)).body.data
  for (const member of members) {
    const memberNode = member[key('nodeId', era)]
    if (memberNode !== aggregatorId && memberNode !== nodeId) await call(core, accessToken, 'DELETE', `analysis-nodes/${member.id}`)
  }
  for (const id of [aggregatorId, nodeId]) await post('analysis-nodes', { [key('analysisId', era)]: analysisId, [key('nodeId', era)]: id })

  const codeBucket = await waitFor('the CODE bucket', async () => {
    const buckets = (await get(`analysis-buckets?filter[${key('analysisId', era)}]=${analysisId}&filter[type]=CODE`)).body.data
    return buckets[0]
  })
  const uploaded = await upload(sim, accessToken, codeBucket[key('bucketId', era)], 'entrypoint.py', readFileSync(CHECK_SCRIPT, 'utf8'))
  if (uploaded.status !== 201) return { ...result, failedAt: `upload ${uploaded.status}` }

  const file = await waitFor('the mirrored code file', async () => {
    const files = (await get(`analysis-bucket-files?filter[${key('analysisBucketId', era)}]=${codeBucket.id}`)).body.data
    return files.find((candidate: { path: string }) => candidate.path === 'entrypoint.py')
  })
  await post(`analysis-bucket-files/${file.id}`, { root: true })

  for (const command of ['configurationLock', 'buildStart']) {
    const reply = await post(`analyses/${analysisId}/command`, { command })
    if (reply.status !== 202) return { ...result, failedAt: `${command}: ${reply.body.message}` }
  }

  const phase = async (field: string): Promise<string> =>
    waitFor(
      field,
      async () => {
        const analysis = await get(`analyses/${analysisId}`)
        if (analysis.status !== 200) return undefined
        result.analysis = record(analysis, era)
        const status = result.analysis[key(field, era)]
        return status === 'executed' || status === 'failed' ? status : undefined
      },
      phaseTimeoutMs
    ).catch(() => 'timed out')

  const build = await phase('buildStatus')
  if (build !== 'executed') return { ...result, failedAt: `build ${build}` }
  const distribution = await post(`analyses/${analysisId}/command`, { command: 'distributionStart' })
  if (distribution.status !== 202) return { ...result, failedAt: `distributionStart: ${distribution.body.message}` }
  const distributed = await phase('distributionStatus')
  if (distributed !== 'executed') return { ...result, failedAt: `distribution ${distributed}` }

  const terminal = (status: unknown): boolean => status === 'executed' || status === 'failed'
  const finished = await waitFor(
    'the nodes to finish',
    async () => {
      const rows = (await get(`analysis-nodes?filter[${key('analysisId', era)}]=${analysisId}`)).body.data
      for (const row of rows) result.nodeStatus[row[key('nodeId', era)]] = row[key('executionStatus', era)]
      const done = options.finishWhen === 'aggregator' ? terminal(result.nodeStatus[aggregatorId]) : Object.values(result.nodeStatus).every(terminal)
      return done ? true : undefined
    },
    phaseTimeoutMs
  ).catch(() => false)
  return finished ? result : { ...result, failedAt: 'execution timed out' }
}

/** Downloads the RESULT bucket of an analysis. */
export async function downloadResult(sim: HubSimulator, analysisId: string): Promise<Response> {
  const accessToken = await token(sim)
  const buckets = await call(sim.coreUrl, accessToken, 'GET', `analysis-buckets?filter[${key('analysisId', sim.era)}]=${analysisId}&filter[type]=RESULT`)
  const bucketId = buckets.body.data[0][key('bucketId', sim.era)]
  return fetch(`${sim.storageUrl}buckets/${bucketId}/stream`, { headers: { authorization: `Bearer ${accessToken}` } })
}
