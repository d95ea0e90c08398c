// HubClient against the Hub simulator: a whole round's call sequence in both eras with the real
// check script, and a round during which the Hub revokes the access token.

import { describe, expect, it } from '@jest/globals'
import { readTar, runPair, setup, waitFor } from './simulator-round.js'

describe.each(['e3', 'e4'] as const)('HubClient on the simulator in %s', (era) => {
  it('runs a whole round', async () => {
    const { simulator, client } = await setup({ era })
    const { analysis, result, aggregator, worker } = await runPair(client)
    expect(client.era).toBe(era)

    const archive = await waitFor('the result file', async () => {
      const tar = await client.downloadBucket(result.bucketId!, { maxBytes: 1 << 20, deadline: Date.now() + 5000 })
      return readTar(tar).size > 0 ? tar : undefined
    })
    const [payloadText] = [...readTar(archive).values()]
    const payload = JSON.parse(payloadText ?? '{}') as { overall_success: boolean; node_results: Record<string, string> }
    expect(payload.overall_success).toBe(true)
    expect(payload.node_results[worker.id]).toBe('ok')
    expect(payload.node_results[aggregator.id]).toBe('ok')

    await client.deleteAnalysis(analysis.id)
    await expect(client.getAnalysis(analysis.id)).rejects.toMatchObject({ kind: 'http', status: 404 })
    expect(simulator.stats().total).toBe(client.stats.requests)
  })
})

describe('HubClient on simulator token expiry', () => {
  it('recovers from token expiry mid-round', async () => {
    const { simulator, client } = await setup({ era: 'e4', scenario: 'token-expiry' })
    const { analysis } = await runPair(client)
    expect(simulator.stats().byEndpoint['POST /auth/token']).toBeGreaterThan(1)
    expect(client.stats.retries).toBeGreaterThan(0)
    await client.deleteAnalysis(analysis.id)
  })
})
