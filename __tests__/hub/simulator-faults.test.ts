// HubClient against the Hub simulator's fault scenarios that the client itself must absorb
// (retries) or report as typed errors.

import { describe, expect, it } from '@jest/globals'
import { systemClock } from '../../src/clock.js'
import { HubError } from '../../src/hub/errors.js'
import { setup, waitFor } from './simulator-round.js'

describe('HubClient on simulator faults', () => {
  it('retries transient 404 on analysis', async () => {
    const { client, clock } = await setup({ era: 'e3', scenario: 'transient-404' })
    await client.login()
    const project = await client.createProject('health-check')
    const analysis = await client.createAnalysis({ projectId: project.id, name: 'flaky', masterImageId: null })
    await expect(client.getAnalysis(analysis.id)).resolves.toMatchObject({ id: analysis.id })
    expect(client.stats.byKind.getAnalysis).toBe(4)
    expect(clock.sleeps).toEqual([2000, 2000, 2000])
  })

  it('retries 5xx bursts on GET', async () => {
    const { client } = await setup({ era: 'e4', scenario: 'server-errors' })
    await client.login()
    for (let i = 0; i < 10; i++) {
      await expect(client.listNodes()).resolves.toHaveLength(3)
    }
    expect(client.stats.retries).toBeGreaterThanOrEqual(2)
  })

  it('waits out 429 bursts', async () => {
    const { client, clock } = await setup({ era: 'e4', scenario: 'rate-limit' })
    await client.login()
    for (let i = 0; i < 10; i++) {
      await client.listMasterImages()
    }
    expect(client.stats.retries).toBeGreaterThanOrEqual(2)
    expect(clock.sleeps.filter((ms) => ms === 1000).length).toBe(client.stats.retries)
  })

  it('types bad credentials', async () => {
    const { client, simulator } = await setup({ era: 'e4', scenario: 'bad-credentials' })
    const error = (await client.login().catch((caught: unknown) => caught)) as HubError
    expect(error).toBeInstanceOf(HubError)
    expect(error.kind).toBe('auth')
    expect(error.message).toContain('bad credentials')
    expect(error.message).not.toContain(simulator.password)
  })

  it('types a throttled login', async () => {
    const { client } = await setup({ era: 'e4', scenario: 'login-throttled' })
    await expect(client.login()).rejects.toMatchObject({ kind: 'auth', message: expect.stringContaining('throttled') })
  })

  it('types an auth outage', async () => {
    const { client } = await setup({ era: 'e4', scenario: 'auth-down' }, { retry: { attempts: 2 } })
    const error = (await client.login().catch((caught: unknown) => caught)) as HubError
    expect(error.kind).toBe('http')
    expect(error.status).toBe(503)
    expect(client.stats.byKind.passwordGrant).toBe(2)
  })

  it('does not resend a rejected upload', async () => {
    const { client, simulator } = await setup({ era: 'e4', scenario: 'upload-rejected' })
    await client.login()
    const project = await client.createProject('health-check')
    const analysis = await client.createAnalysis({ projectId: project.id, name: 'upload', masterImageId: null })
    const code = await waitFor('the CODE bucket', async () => (await client.listAnalysisBuckets(analysis.id)).find((bucket) => bucket.type === 'CODE'))

    const error = (await client.uploadFile(code.bucketId!, 'check.py', new TextEncoder().encode('print(1)')).catch((caught: unknown) => caught)) as HubError
    expect(error).toBeInstanceOf(HubError)
    expect(error.kind).toBe('http')
    expect(error.status).toBe(507)
    expect(error.details.path).toBe(`/storage/buckets/${code.bucketId}/upload`)
    expect(simulator.stats().byEndpoint['POST /storage/buckets/:id/upload']).toBe(1)
  })

  it('types a forbidden project create', async () => {
    const { client } = await setup({ era: 'e3', scenario: 'setup-fails' })
    await client.login()
    await expect(client.createProject('health-check')).rejects.toMatchObject({ kind: 'http', status: 403, details: { method: 'POST', path: '/core/projects', attempts: 1 } })
  })

  it('times out a stalled result stream', async () => {
    const { client } = await setup({ era: 'e4', scenario: 'stalled-stream' })
    await client.login()
    const project = await client.createProject('health-check')
    const analysis = await client.createAnalysis({ projectId: project.id, name: 'stalled', masterImageId: null })
    const result = await waitFor('the RESULT bucket', async () => (await client.listAnalysisBuckets(analysis.id)).find((bucket) => bucket.type === 'RESULT'))

    const started = Date.now()
    const error = (await client.downloadBucket(result.bucketId!, { maxBytes: 1 << 20, deadline: Date.now() + 300 }).catch((caught: unknown) => caught)) as HubError
    expect(error).toBeInstanceOf(HubError)
    expect(error.kind).toBe('timeout')
    expect(error.message).toContain('512 bytes received')
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it('keeps secrets out of logs', async () => {
    // At time scale 0.005 the scenario revokes tokens 150 ms after issue, which leaves a renewed
    // token enough time for its resend even on a loaded machine.
    const { simulator, client, logLines } = await setup({ era: 'e3', scenario: 'token-expiry', timeScale: 0.005 })
    await client.login()
    await client.listNodes()
    await systemClock.sleep(200)
    await client.listNodes()
    await client.findProject('missing')

    const text = logLines.join('\n')
    expect(logLines.some((line) => line.includes('rejected the access token'))).toBe(true)
    expect(text).not.toContain(simulator.password)
    expect(text).not.toMatch(/Bearer\s+\S{8,}/)
    expect(text).not.toMatch(/eyJ[\w-]{8,}/)
  })
})
