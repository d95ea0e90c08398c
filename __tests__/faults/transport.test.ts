// Fault matrix, transport and mixed rounds. Faults that the client absorbs leave a healthy
// round operational. One node down while another is slow is a partial outage in which the
// slow pair still passes, and a slow Hub over the latency limit is degraded.

import { describe, expect, test } from '@jest/globals'

import { expectRound, playFault } from './harness.js'

const OPERATIONAL = { steps: 'SSSSSS', nodes: 'SSS', status: 'operational', exit: null } as const

describe('transport faults', () => {
  test.concurrent('5xx bursts', async () => {
    const outcome = await playFault({ scenario: 'server-errors', failOn: 'any-failure' })

    expectRound(outcome, { ...OPERATIONAL, reason: null })
    expect(outcome.clientRetries).toBeGreaterThan(0)
  })

  test.concurrent('429 with Retry-After', async () => {
    const outcome = await playFault({ era: 'e3', scenario: 'rate-limit', failOn: 'any-failure' })

    expectRound(outcome, { ...OPERATIONAL, reason: null })
    expect(outcome.clientRetries).toBeGreaterThan(0)
    expect(outcome.requests.rateLimited).toBeGreaterThan(0)
  })

  test.concurrent('transient analysis 404s', async () => {
    const outcome = await playFault({ scenario: 'transient-404', client: { notFoundGapMs: 200 } })

    expectRound(outcome, { ...OPERATIONAL, reason: null })
    expect(outcome.clientRetries).toBeGreaterThan(0)
  })

  test.concurrent('connection resets', async () => {
    const outcome = await playFault({ scenario: 'connection-reset', failOn: 'any-failure' })

    expectRound(outcome, { ...OPERATIONAL, reason: null })
    expect(outcome.clientRetries).toBeGreaterThan(0)
  })

  test.concurrent('token expiry mid-round', async () => {
    // 100 simulated seconds are 1 real second, so every pair outlives its first token. The
    // scenario's 0.3 s is too short for a loaded machine, where a renewed token can expire
    // before the request that carries it is served.
    const outcome = await playFault({ era: 'e3', faults: { tokenRevokedAfterSeconds: 100 }, failOn: 'any-failure' })

    expectRound(outcome, { ...OPERATIONAL, reason: null })
    expect(outcome.clientRetries).toBeGreaterThan(0)
  })
})

describe('mixed rounds', () => {
  test.concurrent('one node down while another is slow', async () => {
    const outcome = await playFault({
      faults: { nodes: { 'default-1': { slowFactor: 4 }, 'default-2': { down: true } } },
      settings: { budgets: { execution: 8 } },
      failOn: 'major-outage'
    })

    expectRound(outcome, {
      steps: 'SSSFSS',
      nodes: 'SSF',
      status: 'partial_outage',
      reason: 'execution did not finish within 8 s',
      exit: null
    })
    expect(outcome.report.nodes['default-1']?.seconds).toBeGreaterThan(0)
  })

  test.concurrent('slow Hub over the latency limit', async () => {
    const outcome = await playFault({ scenario: 'slow', settings: { latencyLimit: 0.5 }, failOn: 'partial-outage' })

    expectRound(outcome, { steps: 'SSSSSF', nodes: 'SSS', status: 'degraded', reason: 'over the 0.5 s latency limit', exit: null })
    // A pair over the latency limit leaves nothing to inspect, so its analysis is deleted.
    expect(outcome.analysesLeft).toEqual([])
  })

  test.concurrent('node down under 5xx bursts', async () => {
    const outcome = await playFault({
      scenario: 'server-errors',
      faults: { nodes: { 'default-2': { down: true } } },
      settings: { budgets: { execution: 8 } }
    })

    expectRound(outcome, {
      steps: 'SSSFSS',
      nodes: 'SSF',
      status: 'partial_outage',
      reason: 'default-2: approval approved, execution none yet',
      exit: null
    })
  })
})
