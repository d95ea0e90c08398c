// HubClient against the in-memory stub Hub: the whole call sequence of a round in both eras,
// wire case, paging, filter re-checks, retries, token renewal and secret hygiene.

import { afterEach, describe, expect, it } from '@jest/globals'
import { HubClient, type HubClientOptions } from '../../src/hub/client.js'
import { HubError } from '../../src/hub/errors.js'
import { isSuccessStatus } from '../../src/hub/model.js'
import { FakeClock } from './fake-clock.js'
import { startStubHub, type StubEra, type StubHub } from './stub-hub.js'

const running: StubHub[] = []

afterEach(async () => {
  await Promise.all(running.splice(0).map((hub) => hub.stop()))
})

async function setup(era: StubEra, overrides: Partial<HubClientOptions> = {}) {
  const hub = await startStubHub(era)
  running.push(hub)
  const clock = new FakeClock()
  const logLines: string[] = []
  const log = {
    debug: (message: string) => logLines.push(message),
    info: (message: string) => logLines.push(message),
    warning: (message: string) => logLines.push(message)
  }
  const client = new HubClient({
    authUrl: hub.authUrl,
    coreUrl: hub.coreUrl,
    storageUrl: hub.storageUrl,
    username: hub.username,
    password: hub.password,
    clock,
    log,
    random: () => 0.5,
    ...overrides
  })
  return { hub, client, clock, logLines }
}

describe.each(['e3', 'e4'] as const)('HubClient round sequence in %s', (era) => {
  it('runs every call of a round', async () => {
    const { hub, client } = await setup(era)

    const version = await client.detectVersion()
    expect(version.era).toBe(era)
    expect(client.era).toBe(era)
    expect(client.version).toBe(hub.version)

    await client.login()
    const nodes = await client.listNodes()
    expect(nodes.map((node) => node.name)).toEqual(['aggregator-1', 'default-1', 'default-2'])
    const aggregator = nodes.find((node) => node.type === 'aggregator')
    const worker = nodes.find((node) => node.name === 'default-1')
    expect(aggregator).toBeDefined()
    expect(worker?.registryId).toEqual(expect.any(String))

    expect(await client.findProject('health-check')).toBeUndefined()
    const project = await client.createProject('health-check')
    expect(project.name).toBe('health-check')
    expect((await client.findProject('health-check'))?.id).toBe(project.id)

    const first = await client.addProjectNode(project.id, aggregator!.id)
    const again = await client.addProjectNode(project.id, aggregator!.id)
    expect(again.id).toBe(first.id)
    await client.addProjectNode(project.id, worker!.id)
    const projectNodes = await client.listProjectNodes(project.id)
    expect(projectNodes.map((row) => row.nodeId).sort()).toEqual([aggregator!.id, worker!.id].sort())

    const images = await client.listMasterImages()
    const image = images.find((item) => item.virtualPath === 'python/base')
    expect(image).toBeDefined()

    const analysis = await client.createAnalysis({ projectId: project.id, name: 'health-check-1', masterImageId: image!.id })
    expect(analysis.projectId).toBe(project.id)
    expect(analysis.masterImageId).toBe(image!.id)
    expect((await client.listAnalyses(project.id)).map((item) => item.id)).toEqual([analysis.id])

    const buckets = await client.listAnalysisBuckets(analysis.id)
    const code = buckets.find((bucket) => bucket.type === 'CODE')
    expect(code?.bucketId).toEqual(expect.any(String))

    const script = new TextEncoder().encode('print("ok")\n')
    const uploaded = await client.uploadFile(code!.bucketId!, '00_test_connection.py', script)
    expect(uploaded).toHaveLength(1)
    expect(uploaded[0]?.path).toBe('00_test_connection.py')
    expect(uploaded[0]?.size).toBe(script.byteLength)

    const files = await client.listAnalysisBucketFiles(code!.id)
    expect(files.map((file) => file.path)).toEqual(['00_test_connection.py'])
    const entry = await client.markEntrypoint(files[0]!.id)
    expect(entry.root).toBe(true)

    await client.addAnalysisNode(analysis.id, aggregator!.id)
    const extra = await client.addAnalysisNode(analysis.id, nodes[2]!.id)
    await client.addAnalysisNode(analysis.id, worker!.id)
    await client.removeAnalysisNode(extra.id)
    const analysisNodes = await client.listAnalysisNodes(analysis.id)
    expect(analysisNodes.map((row) => row.nodeId).sort()).toEqual([aggregator!.id, worker!.id].sort())

    expect((await client.sendCommand(analysis.id, 'configurationLock')).configurationLocked).toBe(true)
    expect((await client.sendCommand(analysis.id, 'buildStart')).buildStatus).toBe('executed')
    expect(isSuccessStatus((await client.sendCommand(analysis.id, 'distributionStart')).distributionStatus)).toBe(true)
    expect((await client.getAnalysis(analysis.id)).executionStatus).toBe('executed')

    const result = buckets.find((bucket) => bucket.type === 'RESULT')
    const tar = await client.downloadBucket(result!.bucketId!, { maxBytes: 1 << 20, deadline: Date.now() + 5000 })
    expect(tar.byteLength).toBe(hub.streamBody.byteLength)

    await client.deleteAnalysis(analysis.id)
    await expect(client.getAnalysis(analysis.id)).rejects.toMatchObject({ kind: 'http', status: 404 })
  })

  it('sends keys in the era case', async () => {
    const { hub, client } = await setup(era)
    await client.login()
    const project = await client.createProject('casing')
    await client.createAnalysis({ projectId: project.id, name: 'casing-1', masterImageId: null })
    await client.listAnalyses(project.id)

    const create = hub.requests.find((entry) => entry.method === 'POST' && entry.path === '/core/analyses')
    const list = hub.requests.find((entry) => entry.method === 'GET' && entry.path === '/core/analyses')
    if (era === 'e3') {
      expect(create?.body).toEqual({ project_id: project.id, name: 'casing-1' })
      expect(list?.query.get('filter[project_id]')).toBe(project.id)
      expect(list?.query.get('sort')).toBe('-created_at')
    } else {
      expect(create?.body).toEqual({ projectId: project.id, name: 'casing-1' })
      expect(list?.query.get('filter[projectId]')).toBe(project.id)
      expect(list?.query.get('sort')).toBe('-createdAt')
    }
    expect(list?.query.get('page[limit]')).toBe('50')
  })
})

describe('HubClient lists', () => {
  it('pages through the 50-row cap', async () => {
    const { hub, client } = await setup('e4')
    hub.addNodes(120)
    const nodes = await client.listNodes()
    expect(nodes).toHaveLength(123)
    expect(new Set(nodes.map((node) => node.id)).size).toBe(123)
    expect(hub.countRequests('GET', '/core/nodes')).toBe(3)
  })

  it('rechecks filters the server ignored', async () => {
    const { hub, client } = await setup('e4')
    hub.ignoreFilters = true
    const projectA = await client.createProject('project-a')
    const projectB = await client.createProject('project-b')
    for (const node of hub.tables.nodes) {
      await client.addProjectNode(projectA.id, String(node.id))
      await client.addProjectNode(projectB.id, String(node.id))
    }

    const unfiltered = await fetch(`${hub.coreUrl}project-nodes?filter[projectId]=${projectA.id}`, {
      headers: { authorization: hub.requests.at(-1)?.authorization ?? '' }
    })
    const raw = (await unfiltered.json()) as { data: unknown[] }
    expect(raw.data).toHaveLength(6)

    const rows = await client.listProjectNodes(projectA.id)
    expect(rows).toHaveLength(3)
    expect(rows.every((row) => row.projectId === projectA.id)).toBe(true)
    expect(await client.findProject('project-b')).toMatchObject({ id: projectB.id })
    expect(await client.findProject('missing')).toBeUndefined()
  })

  it('names the request in protocol errors', async () => {
    const { hub, client } = await setup('e4')
    await client.login()
    hub.faults.push({ method: 'GET', pathIncludes: '/core/analyses/a-1', times: 1, action: { status: 200, body: { data: { id: 'a-1' }, meta: {} } } })
    const error = (await client.getAnalysis('a-1').catch((caught: unknown) => caught)) as HubError
    expect(error.kind).toBe('protocol')
    expect(error.message).toContain('GET /core/analyses/a-1')
    expect(error.message).toContain('"projectId"')
    expect(error.details.path).toBe('/core/analyses/a-1')
  })

  it('maps external_id to bucketId', async () => {
    const { hub, client } = await setup('e3')
    hub.legacyBucketKey = true
    const project = await client.createProject('legacy')
    const analysis = await client.createAnalysis({ projectId: project.id, name: 'legacy-1', masterImageId: null })
    const buckets = await client.listAnalysisBuckets(analysis.id)
    expect(buckets).toHaveLength(3)
    expect(buckets.every((bucket) => typeof bucket.bucketId === 'string')).toBe(true)
  })
})

describe('HubClient retries', () => {
  it('retries GET on 503 with backoff', async () => {
    const { hub, client, clock, logLines } = await setup('e4')
    await client.login()
    hub.faults.push({ method: 'GET', pathIncludes: '/core/nodes', times: 2, action: { status: 503 } })
    const nodes = await client.listNodes()
    expect(nodes).toHaveLength(3)
    expect(client.stats.retries).toBe(2)
    expect(client.stats.byKind.listNodes).toBe(3)
    // random() = 0.5 gives three quarters of each ceiling: 500 ms, then 1000 ms.
    expect(clock.sleeps).toEqual([375, 750])
    expect(logLines.filter((line) => line.includes('HTTP 503') && line.includes('retry'))).toHaveLength(2)
  })

  it('honours Retry-After on 429', async () => {
    const { hub, client, clock } = await setup('e4')
    await client.login()
    hub.faults.push({ method: 'GET', pathIncludes: '/core/master-images', times: 1, action: { status: 429, headers: { 'retry-after': '3' } } })
    await client.listMasterImages()
    expect(clock.sleeps).toEqual([3000])
    expect(client.stats.retries).toBe(1)
  })

  it('caps a long Retry-After', async () => {
    const { hub, client, clock } = await setup('e4', { retry: { maxRetryAfterMs: 10_000 } })
    await client.login()
    const later = new Date(clock.now() + 3_600_000).toUTCString()
    hub.faults.push({ method: 'GET', pathIncludes: '/core/master-images', times: 1, action: { status: 429, headers: { 'retry-after': later } } })
    await client.listMasterImages()
    expect(clock.sleeps).toEqual([10_000])
  })

  it('retries GET after a connection reset', async () => {
    const { hub, client } = await setup('e3')
    await client.login()
    hub.faults.push({ method: 'GET', pathIncludes: '/core/nodes', times: 1, action: { reset: true } })
    await expect(client.listNodes()).resolves.toHaveLength(3)
    expect(client.stats.retries).toBe(1)
  })

  it('gives up after the attempt budget', async () => {
    const { hub, client } = await setup('e4', { retry: { attempts: 3 } })
    await client.login()
    hub.faults.push({ method: 'GET', pathIncludes: '/core/nodes', times: 10, action: { status: 502 } })
    const error = await client.listNodes().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(HubError)
    expect(error).toMatchObject({ kind: 'http', status: 502, details: { attempts: 3, method: 'GET', path: '/core/nodes' } })
    expect(client.stats.retries).toBe(2)
  })

  it('does not resend a POST after 500', async () => {
    const { hub, client } = await setup('e4')
    await client.login()
    hub.faults.push({ method: 'POST', pathIncludes: '/core/projects', times: 1, action: { status: 500 } })
    await expect(client.createProject('once')).rejects.toMatchObject({ kind: 'http', status: 500 })
    expect(hub.countRequests('POST', '/core/projects')).toBe(1)
    expect(client.stats.retries).toBe(0)
  })

  it('retries GET analysis on 404', async () => {
    const { hub, client, clock } = await setup('e4')
    const project = await client.createProject('flaky')
    const analysis = await client.createAnalysis({ projectId: project.id, name: 'flaky-1', masterImageId: null })
    hub.faults.push({ method: 'GET', pathIncludes: `/core/analyses/${analysis.id}`, times: 3, action: { status: 404 } })
    await expect(client.getAnalysis(analysis.id)).resolves.toMatchObject({ id: analysis.id })
    expect(clock.sleeps).toEqual([2000, 2000, 2000])
    expect(client.stats.byKind.getAnalysis).toBe(4)
  })

  it('stops retrying 404 after the budget', async () => {
    const { client } = await setup('e4', { notFoundRetries: 2 })
    await client.login()
    await expect(client.getAnalysis('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ status: 404, details: { attempts: 3 } })
  })
})

describe('HubClient tokens', () => {
  it('renews an expired token once on 401', async () => {
    const { hub, client } = await setup('e4')
    await client.login()
    await client.listNodes()
    hub.expireAccessTokens()
    await expect(client.listNodes()).resolves.toHaveLength(3)
    expect(hub.grants.map((grant) => grant.grantType)).toEqual(['password', 'refresh_token'])
    expect(client.stats.retries).toBe(1)
  })

  it('rotates refresh tokens without reuse', async () => {
    const { hub, client, clock } = await setup('e3')
    hub.tokenLifetimeS = 300
    await client.login()
    for (let round = 0; round < 3; round++) {
      // 250 s into a 300 s token leaves less than the 60 s margin.
      clock.advance(250_000)
      await client.listNodes()
    }
    const refreshes = hub.grants.filter((grant) => grant.grantType === 'refresh_token').map((grant) => grant.refreshToken)
    expect(refreshes).toHaveLength(3)
    expect(new Set(refreshes).size).toBe(3)
    expect(hub.grants.filter((grant) => grant.grantType === 'password')).toHaveLength(1)
  })

  it('falls back to password after a failed refresh', async () => {
    const { hub, client, clock } = await setup('e4')
    hub.tokenLifetimeS = 300
    await client.login()
    hub.faults.push({ method: 'POST', pathIncludes: '/auth/token', times: 1, action: { status: 400, body: { code: 'invalid_token', message: 'The JWT is invalid.' } } })
    clock.advance(280_000)
    await expect(client.listNodes()).resolves.toHaveLength(3)
    expect(hub.countRequests('POST', '/auth/token')).toBe(3)
    expect(hub.grants.map((grant) => grant.grantType)).toEqual(['password', 'password'])
  })

  it('renews on 400 blaming the JWT', async () => {
    const { hub, client } = await setup('e3')
    await client.login()
    hub.faults.push({ method: 'GET', pathIncludes: '/core/nodes', times: 1, action: { status: 400, body: { code: 'invalid_token', message: 'The JWT is invalid.' } } })
    await expect(client.listNodes()).resolves.toHaveLength(3)
    expect(hub.grants.map((grant) => grant.grantType)).toEqual(['password', 'refresh_token'])
  })

  it('fails after a second rejection', async () => {
    const { hub, client } = await setup('e4')
    await client.login()
    hub.faults.push({ method: 'GET', pathIncludes: '/core/nodes', times: 2, action: { status: 401, body: { code: 'invalid_token', message: 'The JWT is invalid.' } } })
    const error = (await client.listNodes().catch((caught: unknown) => caught)) as HubError
    expect(error.kind).toBe('auth')
    expect(error.status).toBe(401)
    expect(error.message).toContain('freshly renewed access token')
    expect(hub.countRequests('GET', '/core/nodes')).toBe(2)
  })

  it('renews ahead of expiry', async () => {
    const { hub, client, clock } = await setup('e4')
    await client.login()
    clock.advance(850_000)
    await client.listNodes()
    expect(hub.grants.map((grant) => grant.grantType)).toEqual(['password', 'refresh_token'])
    expect(hub.countRequests('GET', '/core/nodes')).toBe(1)
  })

  it('shares one login among concurrent callers', async () => {
    const { hub, client } = await setup('e4')
    await Promise.all([client.listNodes(), client.listMasterImages(), client.listNodes(), client.findProject('x')])
    expect(hub.grants).toHaveLength(1)
  })

  it('reports bad credentials clearly', async () => {
    const { client } = await setup('e4', { password: 'wrong-password-value' })
    const error = (await client.login().catch((caught: unknown) => caught)) as HubError
    expect(error).toBeInstanceOf(HubError)
    expect(error.kind).toBe('auth')
    expect(error.message).toContain('bad credentials')
    expect(error.message).toContain('health-check')
    expect(error.message).not.toContain('wrong-password-value')
  })

  it('reports an unreachable auth service', async () => {
    const { client } = await setup('e4', { authUrl: 'http://127.0.0.1:9/auth/', retry: { attempts: 2 } })
    const error = (await client.login().catch((caught: unknown) => caught)) as HubError
    expect(error.kind).toBe('network')
    expect(error.message).toContain('auth service unreachable')
  })

  it('reports throttled logins', async () => {
    const { hub, client } = await setup('e4')
    hub.faults.push({
      method: 'POST',
      pathIncludes: '/auth/token',
      times: 1,
      action: { status: 429, headers: { 'retry-after': '30' }, body: { code: 'login_attempt_throttled', message: 'Too many login attempts.' } }
    })
    const error = (await client.login().catch((caught: unknown) => caught)) as HubError
    expect(error.kind).toBe('auth')
    expect(error.message).toContain('throttled')
    expect(hub.countRequests('POST', '/auth/token')).toBe(1)
  })

  it('sends realm as id or name', async () => {
    const uuid = '7b8e2a64-9f1c-4d3b-a2e5-0c6f8d9e1a2b'
    const byId = await setup('e4', { realm: uuid })
    await byId.client.login()
    expect(byId.hub.grants[0]).toMatchObject({ realmId: uuid, realmName: undefined })

    const byName = await setup('e4', { realm: 'master' })
    await byName.client.login()
    expect(byName.hub.grants[0]).toMatchObject({ realmId: undefined, realmName: 'master' })
  })
})

describe('HubClient downloads', () => {
  it('fails a stalled stream at the deadline', async () => {
    const { hub, client } = await setup('e4')
    await client.login()
    hub.faults.push({ method: 'GET', pathIncludes: '/stream', times: 1, action: { stallAfterBytes: 100 } })
    const started = Date.now()
    const error = (await client.downloadBucket('bucket-1', { maxBytes: 1 << 20, deadline: Date.now() + 300 }).catch((caught: unknown) => caught)) as HubError
    expect(error).toBeInstanceOf(HubError)
    expect(error.kind).toBe('timeout')
    expect(error.message).toContain('100 bytes received')
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it('lets calls pass a stalled stream', async () => {
    const { hub, client } = await setup('e4', { maxConcurrent: 1 })
    await client.login()
    hub.faults.push({ method: 'GET', pathIncludes: '/stream', times: 1, action: { stallAfterBytes: 10 } })
    const download = client.downloadBucket('bucket-1', { maxBytes: 1 << 20, deadline: Date.now() + 4000 }).catch((caught: unknown) => caught)
    await new Promise((resolve) => setTimeout(resolve, 50))
    const started = Date.now()
    await expect(client.listNodes()).resolves.toHaveLength(3)
    // Far below the 4 s download deadline that a held slot would have imposed.
    expect(Date.now() - started).toBeLessThan(2000)
    await expect(download).resolves.toMatchObject({ kind: 'timeout' })
  })

  it('enforces the byte limit', async () => {
    const { client } = await setup('e4')
    await client.login()
    await expect(client.downloadBucket('bucket-1', { maxBytes: 1000, deadline: Date.now() + 5000 })).rejects.toMatchObject({ kind: 'protocol' })
  })

  it('counts bytes without a length header', async () => {
    const { hub, client } = await setup('e4')
    await client.login()
    hub.faults.push({ method: 'GET', pathIncludes: '/stream', times: 1, action: { stallAfterBytes: 2000 } })
    await expect(client.downloadBucket('bucket-1', { maxBytes: 1000, deadline: Date.now() + 5000 })).rejects.toMatchObject({ kind: 'protocol' })
  })

  it('reports cancellation as aborted', async () => {
    const { hub, client } = await setup('e4')
    await client.login()
    hub.faults.push({ method: 'GET', pathIncludes: '/stream', times: 1, action: { stallAfterBytes: 10 } })
    const controller = new AbortController()
    setTimeout(() => controller.abort(new Error('job cancelled')), 50)
    await expect(client.downloadBucket('bucket-1', { maxBytes: 1 << 20, deadline: Date.now() + 5000, signal: controller.signal })).rejects.toMatchObject({
      kind: 'aborted'
    })
  })
})

describe('HubClient secrets', () => {
  it('keeps tokens and password out of errors and logs', async () => {
    const { hub, client, logLines } = await setup('e4')
    const errors: string[] = []
    await client.login()
    hub.expireAccessTokens()
    hub.faults.push({ method: 'GET', pathIncludes: '/core/nodes', times: 1, action: { status: 500, body: { message: `token ${hub.password} rejected` } } })
    await client.listNodes().catch((caught: unknown) => errors.push(String(caught)))
    hub.faults.push({ method: 'GET', pathIncludes: '/core/projects', times: 5, action: { status: 401, body: { message: hub.issuedSecrets().join(' ') } } })
    await client.findProject('x').catch((caught: unknown) => errors.push(String(caught), JSON.stringify((caught as HubError).details)))

    const text = [...errors, ...logLines].join('\n')
    expect(errors.length).toBeGreaterThan(0)
    expect(text).not.toContain(hub.password)
    for (const secret of hub.issuedSecrets()) {
      expect(text).not.toContain(secret)
    }
  })
})

describe('HubClient options', () => {
  it('rejects a malformed core URL', () => {
    expect(
      () => new HubClient({ authUrl: 'http://127.0.0.1/auth', coreUrl: 'core.example', storageUrl: 'http://127.0.0.1/storage', username: 'u', password: 'p' })
    ).toThrow('Invalid Hub base URL "core.example"')
  })

  it('rejects an empty password', () => {
    expect(
      () => new HubClient({ authUrl: 'http://127.0.0.1/auth', coreUrl: 'http://127.0.0.1/core', storageUrl: 'http://127.0.0.1/storage', username: 'u', password: '' })
    ).toThrow('password is missing')
  })

  it('rejects a zero timeout', () => {
    expect(
      () =>
        new HubClient({
          authUrl: 'http://127.0.0.1/auth',
          coreUrl: 'http://127.0.0.1/core',
          storageUrl: 'http://127.0.0.1/storage',
          username: 'u',
          password: 'p',
          requestTimeoutMs: 0
        })
    ).toThrow('requestTimeoutMs must be a positive number, got 0')
  })
})
