// The wrong-case filter trap against the real simulator. A proxy reports an E3 version in front of
// an E4 simulator, so the client sends snake_case filter keys that the simulator silently drops.
// The raw list then comes back unfiltered, and the client must still return only matching rows.

import { afterEach, describe, expect, it } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { HubClient } from '../../src/hub/client.js'
import { setup } from './simulator-round.js'

const proxies: Server[] = []

afterEach(async () => {
  for (const proxy of proxies.splice(0)) {
    proxy.closeAllConnections()
    await new Promise<void>((resolve) => proxy.close(() => resolve()))
  }
})

/** Forwards GET requests to `target`, except the version probe, which reports `version`. */
async function startVersionProxy(target: string, version: string): Promise<string> {
  const proxy = createServer((req, res) => {
    const path = req.url ?? '/'
    if (path === '/' || path === '') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ version, timestamp: Date.now() }))
      return
    }
    const headers: Record<string, string> = {}
    if (req.headers.authorization !== undefined) {
      headers.authorization = req.headers.authorization
    }
    void fetch(new URL(path.replace(/^\//, ''), target), { headers }).then(async (upstream) => {
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' })
      res.end(Buffer.from(await upstream.arrayBuffer()))
    })
  })
  proxies.push(proxy)
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/`
}

describe('HubClient wrong-case filters', () => {
  it('drops rows the simulator failed to filter', async () => {
    const { simulator, client } = await setup({ era: 'e4' })
    await client.login()
    const nodes = await client.listNodes()
    const projectA = await client.createProject('project-a')
    const projectB = await client.createProject('project-b')
    for (const node of nodes) {
      await client.addProjectNode(projectA.id, node.id)
      await client.addProjectNode(projectB.id, node.id)
    }

    const mismatched = new HubClient({
      authUrl: simulator.authUrl,
      coreUrl: await startVersionProxy(simulator.coreUrl, '0.12.7'),
      storageUrl: simulator.storageUrl,
      username: simulator.username,
      password: simulator.password
    })
    expect((await mismatched.detectVersion()).era).toBe('e3')
    await mismatched.login()

    simulator.resetStats()
    const rows = await mismatched.listProjectNodes(projectA.id)
    expect(rows).toHaveLength(nodes.length)
    expect(rows.every((row) => row.projectId === projectA.id)).toBe(true)

    // The same snake_case query, sent raw, returns both projects' rows.
    const token = await fetch(new URL('token', simulator.authUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'password', username: simulator.username, password: simulator.password })
    }).then(async (response) => ((await response.json()) as { access_token: string }).access_token)
    const raw = await fetch(new URL(`project-nodes?filter[project_id]=${projectA.id}`, simulator.coreUrl), {
      headers: { authorization: `Bearer ${token}` }
    }).then(async (response) => (await response.json()) as { data: Array<{ projectId: string }>; meta: { total: number } })
    expect(raw.meta.total).toBe(2 * nodes.length)
    expect(raw.data.some((row) => row.projectId === projectB.id)).toBe(true)
  })
})
