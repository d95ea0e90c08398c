// Fault matrix, login and setup: the round stops before any pair runs, so every step after
// the failed one and every node is unknown, and the Hub is in a major outage.

import { describe, expect, test } from '@jest/globals'

import { expectRound, playFault } from './harness.js'

describe('login faults', () => {
  test.concurrent('bad credentials', async () => {
    const outcome = await playFault({ scenario: 'bad-credentials', failOn: 'major-outage' })

    expectRound(outcome, {
      steps: 'FUUUUU',
      nodes: 'UUU',
      status: 'major_outage',
      reason: 'Login failed: bad credentials for user "health-check"',
      exit: "The FLAME Hub status is major_outage, and fail-on is 'major-outage'."
    })
    expect(outcome.report.nodes['aggregator-1']?.role).toBe('undetermined')
  })

  test.concurrent('auth service answers 503', async () => {
    // The client's four attempts end within the 10 s login budget, so the reason keeps the status.
    const outcome = await playFault({ scenario: 'auth-down', settings: { budgets: { login: 10 } } })

    expectRound(outcome, { steps: 'FUUUUU', nodes: 'UUU', status: 'major_outage', reason: 'HTTP 503', exit: null })
  })

  test.concurrent('auth 503 retries outlast the budget', async () => {
    const outcome = await playFault({ scenario: 'auth-down', settings: { budgets: { login: 2 } } })

    expectRound(outcome, {
      steps: 'FUUUUU',
      nodes: 'UUU',
      status: 'major_outage',
      reason: 'login did not finish within the 2 s budget (password grant and node listing)',
      exit: null
    })
    expect(outcome.record.login.seconds).toBeLessThan(2.5)
  })

  test.concurrent('auth service drops connections', async () => {
    const outcome = await playFault({ faults: { authDown: 'refused' }, settings: { budgets: { login: 10 } } })

    expectRound(outcome, { steps: 'FUUUUU', nodes: 'UUU', status: 'major_outage', reason: 'Login failed: auth service unreachable at http://127.0.0.1:', exit: null })
  })

  test.concurrent('login slower than its budget', async () => {
    // 200 simulated seconds are 2 real seconds, over the 1 s login budget.
    const outcome = await playFault({ faults: { loginDelaySeconds: 200 }, settings: { budgets: { login: 1 } } })

    expectRound(outcome, {
      steps: 'FUUUUU',
      nodes: 'UUU',
      status: 'major_outage',
      reason: 'login did not finish within the 1 s budget',
      exit: null
    })
    expect(outcome.record.login.seconds).toBeLessThan(1.5)
  })

  test.concurrent('cancelled during login', async () => {
    // The password grant takes 2 s; the round is cancelled after 0.3 s.
    const outcome = await playFault({ faults: { loginDelaySeconds: 200 }, signal: AbortSignal.timeout(300) })

    expectRound(outcome, { steps: 'UUUUUU', nodes: 'UUU', status: 'no_data', reason: 'cancelled', exit: null })
    expect(outcome.record.cancelled).toBe(true)
    expect(outcome.record.login).toEqual({ status: 'unknown', seconds: null, reason: 'cancelled' })
    expect(outcome.record.endedAt - outcome.record.startedAt).toBeLessThan(1500)
  })

  test.concurrent('throttled password grant', async () => {
    const outcome = await playFault({ scenario: 'login-throttled', failOn: 'partial-outage' })

    expectRound(outcome, {
      steps: 'FUUUUU',
      nodes: 'UUU',
      status: 'major_outage',
      reason: 'throttled',
      exit: "fail-on is 'partial-outage'"
    })
  })

  test.concurrent('every GET answers 502', async () => {
    // The version probe is open, so the round gets as far as the node listing.
    const outcome = await playFault({
      faults: { serverErrors: { burst: 1, every: 1, status: 502 } },
      settings: { budgets: { login: 3 } },
      client: { retry: { attempts: 2, baseDelayMs: 50 } }
    })

    expectRound(outcome, { steps: 'FUUUUU', nodes: 'UUU', status: 'major_outage', reason: '502', exit: null })
  })
})

describe('setup faults', () => {
  test.concurrent('project creation refused', async () => {
    const outcome = await playFault({ era: 'e3', scenario: 'setup-fails', failOn: 'major-outage' })

    expectRound(outcome, {
      steps: 'SFUUUU',
      nodes: 'UUU',
      status: 'major_outage',
      reason: 'project setup failed: POST /core/projects failed with HTTP 403',
      exit: 'major_outage'
    })
    expect(outcome.analysesLeft).toEqual([])
  })

  test.concurrent('Hub without master images', async () => {
    const outcome = await playFault({ scenario: 'no-master-image' })

    expectRound(outcome, {
      steps: 'SFUUUU',
      nodes: 'UUU',
      status: 'major_outage',
      reason: 'project setup failed: the Hub lists no master images',
      exit: null
    })
  })

  test.concurrent('master image not on the Hub', async () => {
    const outcome = await playFault({ settings: { masterImage: 'python/missing' } })

    expectRound(outcome, {
      steps: 'SFUUUU',
      nodes: 'UUU',
      status: 'major_outage',
      reason: 'master image "python/missing" not found on the Hub; available virtual paths: python/base, python/use-cases/fedstats',
      exit: null
    })
  })

  test.concurrent('node name the Hub does not know', async () => {
    const outcome = await playFault({ settings: { nodes: ['aggregator-1', 'default-1', 'ghost-9'] }, failOn: 'partial-outage' })

    expectRound(outcome, {
      steps: 'SSSSSS',
      nodes: 'SSF',
      status: 'partial_outage',
      reason: 'node ghost-9 is not registered on the Hub',
      exit: 'partial_outage'
    })
  })

  test.concurrent('no aggregator among the nodes', async () => {
    const outcome = await playFault({ settings: { nodes: ['default-1', 'default-2'] } })

    expectRound(outcome, {
      steps: 'SFUUUU',
      nodes: 'UU',
      status: 'major_outage',
      reason: 'none of the configured nodes default-1, default-2 is an aggregator on the Hub',
      exit: "Fix the 'nodes' input."
    })
    expect(outcome.requests.byEndpoint['POST /core/analyses']).toBeUndefined()
  })

  test.concurrent('only the aggregator among the nodes', async () => {
    const outcome = await playFault({ settings: { nodes: ['aggregator-1', 'aggregator-1'] } })

    expect(outcome.record.misconfiguration).toBe('the configured nodes name only the aggregator aggregator-1 and no compute node')
    expect(outcome.exitMessage).toContain("Fix the 'nodes' input.")
    expect(outcome.requests.byEndpoint['POST /core/analyses']).toBeUndefined()
  })

  test.concurrent('two aggregators among the nodes', async () => {
    const outcome = await playFault({
      settings: { nodes: ['aggregator-1', 'aggregator-2', 'default-1'] },
      prepare: (sim) => {
        const aggregator = sim.world.nodeByName('aggregator-1')!
        sim.world.nodes.set('aggregator-2-id', { ...aggregator, id: 'aggregator-2-id', name: 'aggregator-2' })
      }
    })

    expectRound(outcome, {
      steps: 'SFUUUU',
      nodes: 'UUU',
      status: 'major_outage',
      reason: 'the configured nodes include 2 aggregators (aggregator-1, aggregator-2), but a round needs exactly one',
      exit: "Fix the 'nodes' input."
    })
    expect(outcome.requests.byEndpoint['POST /core/analyses']).toBeUndefined()
  })
})
