import { spawnSync } from 'node:child_process'

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'

import { startHubSimulator, type HubSimulator } from '../../simulator/hub/index.js'
import { call, key, readTar, record, token, upload, waitFor } from './helpers.js'

describe.each(['e3', 'e4'] as const)('wire format %s', (era) => {
  let sim: HubSimulator
  let accessToken: string
  const other = era === 'e3' ? 'e4' : 'e3'

  beforeAll(async () => {
    sim = await startHubSimulator({ era, timeScale: 0.01, extraNodes: 60 })
    accessToken = await token(sim)
  })

  afterAll(async () => {
    await sim.stop()
  })

  const get = (path: string) => call(sim.coreUrl, accessToken, 'GET', path)
  const post = (path: string, body: unknown) => call(sim.coreUrl, accessToken, 'POST', path, body)

  test('version bodies are flat', async () => {
    const expected = era === 'e3' ? '0.12.7' : '0.14.0'
    for (const base of [sim.coreUrl, sim.storageUrl]) {
      const reply = await call(base, undefined, 'GET', '')
      expect(reply.status).toBe(200)
      expect(Object.keys(reply.body).sort()).toEqual(['timestamp', 'version'])
      expect(reply.body.version).toBe(expected)
    }
  })

  test('missing token gives 401 error body', async () => {
    const reply = await call(sim.coreUrl, undefined, 'GET', 'nodes')
    expect(reply.status).toBe(401)
    expect(reply.body).toEqual({ statusCode: 401, code: 'identity_unauthorized', message: 'Authentication required.', issues: [] })
  })

  test('list envelope caps at 50 rows', async () => {
    const first = await get('nodes?page[limit]=100')
    expect(first.status).toBe(200)
    expect(first.body.data).toHaveLength(50)
    expect(first.body.meta.total).toBe(63)
    expect(first.body.meta.limit).toBe(50)
    expect(first.body.meta.offset).toBe(0)
    expect(first.body.meta.schema === undefined).toBe(era === 'e3')
    expect(Object.keys(first.body.data[0])).toContain(key('registryId', era))
    expect(Object.keys(first.body.data[0])).not.toContain(key('registryId', other))

    const second = await get('nodes?page[offset]=50')
    expect(second.body.data).toHaveLength(13)
    expect(second.body.meta.offset).toBe(50)
  })

  test('wrong-case filter returns unfiltered list', async () => {
    const node = sim.world.nodeByName('default-7')
    const right = await get(`nodes?filter[${key('clientId', era)}]=${node?.clientId}`)
    expect(right.body.meta.total).toBe(1)
    expect(right.body.data[0].name).toBe('default-7')

    const wrong = await get(`nodes?filter[${key('clientId', other)}]=${node?.clientId}`)
    expect(wrong.status).toBe(200)
    expect(wrong.body.meta.total).toBe(63)
  })

  test('sort follows era key case', async () => {
    const descending = (await get('nodes?sort=-name&page[limit]=3')).body.data.map((node: { name: string }) => node.name)
    expect(descending).toEqual(['default-9', 'default-8', 'default-7'])

    // A sort key in the other era's case is dropped, so the default order (creation) applies.
    const wrongCase = await get(`nodes?sort=-${key('updatedAt', other)}&page[limit]=2`)
    const rightCase = await get(`nodes?sort=${key('updatedAt', era)}&page[limit]=2`)
    expect(wrongCase.body.data.map((node: { name: string }) => node.name)).toEqual(['aggregator-1', 'default-1'])
    expect(rightCase.status).toBe(200)
  })

  test('include embeds the relation', async () => {
    const reply = await get('nodes?filter[name]=default-1&include=registry')
    expect(reply.body.data[0].registry.id).toBe(reply.body.data[0][key('registryId', era)])
  })

  test('single records are bare or wrapped', async () => {
    const node = sim.world.nodeByName('aggregator-1')
    const reply = await get(`nodes/${node?.id}`)
    expect(reply.status).toBe(200)
    if (era === 'e4') {
      expect(Object.keys(reply.body).sort()).toEqual(['data', 'meta'])
      expect(reply.body.meta.schema).toBeDefined()
    } else {
      expect(reply.body.id).toBe(node?.id)
      expect(reply.body.data).toBeUndefined()
    }
    expect(record(reply, era).type).toBe('aggregator')
  })

  test('project create, conflict and bad name', async () => {
    const created = await post('projects', { name: `Wire-${era}`, [key('displayName', era)]: 'Wire test' })
    expect(created.status).toBe(201)
    if (era === 'e4') expect(created.body.meta).toEqual({})
    expect(record(created, era).name).toBe(`wire-${era}`)
    expect(record(created, era)[key('displayName', era)]).toBe('Wire test')

    const duplicate = await post('projects', { name: `wire-${era}` })
    expect(duplicate.status).toBe(409)
    expect(duplicate.body).toEqual({
      statusCode: 409,
      code: 'entity_conflict',
      message: 'An entry with some unique attributes already exists.',
      issues: []
    })

    const invalid = await post('projects', { name: 'has space' })
    expect(invalid.status).toBe(400)
    expect(invalid.body.statusCode).toBe(400)
  })

  test('wrong-case body key is dropped', async () => {
    const images = (await get('master-images')).body.data
    expect(images[0][key('virtualPath', era)]).toBe('python/base')
    const project = record(await post('projects', { name: `drop-${era}`, [key('masterImageId', era)]: images[0].id }), era)

    const analysis = record(
      await post('analyses', { [key('projectId', era)]: project.id, [key('masterImageId', other)]: images[1].id }),
      era
    )
    expect(analysis[key('masterImageId', era)]).toBe(images[0].id)
  })

  test('missing required key gives 400', async () => {
    const reply = await post('analyses', { name: 'no-project' })
    expect(reply.status).toBe(400)
    expect(reply.body.issues[0].path).toEqual([key('projectId', era)])

    const wrongCase = await post('analyses', { [key('projectId', other)]: 'x' })
    expect(wrongCase.status).toBe(400)
  })

  test('unknown analysis gives 404', async () => {
    const reply = await get('analyses/00000000-0000-4000-8000-000000000000')
    expect(reply.status).toBe(404)
    expect(reply.body).toEqual({ statusCode: 404, code: 'entity_not_found', message: 'The analysis was not found.', issues: [] })
  })

  test('analysis lifecycle preconditions', async () => {
    const image = (await get('master-images')).body.data[0]
    const project = record(await post('projects', { name: `flow-${era}`, [key('masterImageId', era)]: image.id }), era)
    const aggregator = sim.world.nodeByName('aggregator-1')
    const node = sim.world.nodeByName('default-1')
    const noRegistry = sim.world.nodeByName('default-2')
    const bare = record(await post('analyses', { [key('projectId', era)]: project.id }), era)
    const command = async (id: string, name: string) => post(`analyses/${id}/command`, { command: name })

    expect((await command(bare.id, 'configurationLock')).body.message).toBe('At least one default node must be selected.')
    expect((await command(bare.id, 'buildStart')).body.message).toBe('The analysis configuration is not locked.')
    expect((await command(bare.id, 'distributionStart')).body.message).toBe('The analysis is not built yet.')
    const invalid = await command(bare.id, 'buildStop')
    expect(invalid.status).toBe(400)
    expect(invalid.body.message).toBe('Invalid command.')

    // Approved project nodes join a new analysis at creation.
    for (const id of [aggregator?.id, node?.id, noRegistry?.id]) {
      expect((await post('project-nodes', { [key('projectId', era)]: project.id, [key('nodeId', era)]: id })).status).toBe(201)
    }
    expect((await post('project-nodes', { [key('projectId', era)]: project.id, [key('nodeId', era)]: node?.id })).status).toBe(409)
    const analysis = record(await post('analyses', { [key('projectId', era)]: project.id }), era)
    expect(analysis.nodes).toBe(3)

    // Adding an existing pair returns the existing row (Hub 0.10.1 and later).
    const again = await post('analysis-nodes', { [key('analysisId', era)]: analysis.id, [key('nodeId', era)]: node?.id })
    expect(again.status).toBe(201)
    const rows = (await get(`analysis-nodes?filter[${key('analysisId', era)}]=${analysis.id}`)).body.data
    expect(rows).toHaveLength(3)
    expect(rows.every((row: Record<string, unknown>) => row[key('approvalStatus', era)] === 'approved')).toBe(true)

    expect((await command(analysis.id, 'configurationLock')).body.message).toBe('An entrypoint must be selected.')

    const codeBucket = await waitFor('the CODE bucket', async () => {
      const buckets = (await get(`analysis-buckets?filter[${key('analysisId', era)}]=${analysis.id}`)).body.data
      return buckets.length === 3 ? buckets.find((bucket: { type: string }) => bucket.type === 'CODE') : undefined
    })
    expect((await upload(sim, accessToken, codeBucket[key('bucketId', era)], 'main.py', 'print(1)\n')).status).toBe(201)
    const file = await waitFor('the mirrored file', async () => {
      return (await get(`analysis-bucket-files?filter[${key('analysisBucketId', era)}]=${codeBucket.id}`)).body.data[0]
    })
    expect(file.root).toBe(false)
    const marked = await post(`analysis-bucket-files/${file.id}`, { root: true })
    expect(marked.status).toBe(202)
    expect(record(marked, era).root).toBe(true)

    const locked = await command(analysis.id, 'configurationLock')
    expect(locked.status).toBe(202)
    expect(record(locked, era)[key('configurationLocked', era)]).toBe(true)
    expect((await command(analysis.id, 'configurationLock')).body.message).toBe('The analysis configuration is locked.')
    const late = await post('analysis-nodes', { [key('analysisId', era)]: analysis.id, [key('nodeId', era)]: node?.id })
    expect(late.body.message).toBe('The analysis has already been locked and can therefore no longer be modified.')

    const build = await command(analysis.id, 'buildStart')
    expect(build.status).toBe(202)
    expect(record(build, era)[key('buildStatus', era)]).toBe('starting')
    expect((await command(analysis.id, 'buildStart')).body.message).toBe('The analysis build can not be started.')
    await waitFor('the build', async () => {
      const current = record(await get(`analyses/${analysis.id}`), era)
      return current[key('buildStatus', era)] === 'executed' ? current : undefined
    })

    // A node without a registry blocks the distribution.
    sim.setFaults({ nodes: { 'default-2': { noRegistry: true } } })
    expect((await command(analysis.id, 'distributionStart')).body.message).toBe('The node default-2 is not assigned to a registry yet.')
    sim.setFaults({})

    const deleted = await call(sim.coreUrl, accessToken, 'DELETE', `analyses/${analysis.id}`)
    expect(deleted.status).toBe(202)
    expect(record(deleted, era).id).toBe(analysis.id)
    expect((await get(`analyses/${analysis.id}`)).status).toBe(404)
  })

  test('upload rules and tar stream', async () => {
    const bucket = sim.world.addStorageBucket(`scratch-${era}`, sim.world.realmId)
    const notMultipart = await call(sim.storageUrl, accessToken, 'POST', `buckets/${bucket.id}/upload`, { a: 1 })
    expect(notMultipart.status).toBe(400)
    expect(notMultipart.body.message).toBe('A multipart content-type header is required.')

    const first = await upload(sim, accessToken, bucket.id, 'dir/a.txt', 'alpha')
    expect(first.status).toBe(201)
    expect(first.body.meta).toEqual({ total: 1 })
    expect(first.body.data[0].name).toBe('a.txt')
    expect(first.body.data[0].path).toBe('dir/a.txt')
    expect(first.body.data[0].directory).toBe('dir')
    expect(first.body.data[0][key('bucketId', era)]).toBe(bucket.id)
    expect((await upload(sim, accessToken, bucket.id, 'dir/a.txt', 'again')).status).toBe(409)
    expect((await upload(sim, accessToken, bucket.id, 'b.txt', 'beta')).status).toBe(201)

    // Storage accepts the bucket name in place of its id.
    const response = await fetch(`${sim.storageUrl}buckets/${bucket.name}/stream`, { headers: { authorization: `Bearer ${accessToken}` } })
    expect(response.headers.get('content-type')).toBe('application/x-tar')
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${bucket.id}.tar"`)
    const archive = Buffer.from(await response.arrayBuffer())
    expect(readTar(archive).map((entry) => [entry.name, entry.content.toString()])).toEqual([
      ['dir/a.txt', 'alpha'],
      ['b.txt', 'beta']
    ])

    // Python's tarfile module is an independent reader of the same archive.
    const listing = spawnSync('python3', ['-c', 'import sys, tarfile; t = tarfile.open(fileobj=sys.stdin.buffer, mode="r|"); print(",".join(m.name for m in t))'], {
      input: archive
    })
    expect(listing.stderr.toString()).toBe('')
    expect(listing.stdout.toString().trim()).toBe('dir/a.txt,b.txt')
  })

  test('stats count normalised endpoints', async () => {
    sim.resetStats()
    const node = sim.world.nodeByName('default-3')
    await get(`nodes/${node?.id}`)
    await get(`nodes/${node?.id}`)
    const stats = sim.stats()
    expect(stats.byEndpoint['GET /core/nodes/:id']).toBe(2)
    expect(stats.total).toBe(2)
  })
})
