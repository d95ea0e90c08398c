// Fault matrix, pair phases. A failure before the nodes are involved (upload) leaves the nodes
// unknown, and a failure at distribute or execute marks the node of that pair failed.

import { describe, expect, test } from '@jest/globals'

import type { LockPrecondition } from '../../simulator/hub/faults.js'
import { expectRound, playFault } from './harness.js'

describe('upload faults', () => {
  test.concurrent('CODE bucket never appears', async () => {
    const outcome = await playFault({ scenario: 'bucket-never', settings: { budgets: { bucket: 1 } }, failOn: 'major-outage' })

    expectRound(outcome, {
      steps: 'SFUUUU',
      nodes: 'UUU',
      status: 'major_outage',
      reason: 'did not appear within 1 s (buckets seen: RESULT, TEMP; storageCheck was sent)',
      exit: 'major_outage'
    })
    // keep-analyses on-failure keeps the failed analyses for inspection.
    expect(outcome.analysesLeft).toHaveLength(2)
  })

  test.concurrent('upload rejected with 507', async () => {
    const outcome = await playFault({ era: 'e3', scenario: 'upload-rejected' })

    expectRound(outcome, { steps: 'SFUUUU', nodes: 'UUU', status: 'major_outage', reason: '507', exit: null })
  })

  test.concurrent('bucket-file never mirrored', async () => {
    const outcome = await playFault({ scenario: 'mirror-never', settings: { budgets: { bucket: 1 } } })

    expectRound(outcome, {
      steps: 'SFUUUU',
      nodes: 'UUU',
      status: 'major_outage',
      reason: 'bucket-file record of 00_test_connection.py did not appear within 1 s (records seen: none)',
      exit: null
    })
  })
})

describe('lock and start commands rejected', () => {
  const lockMessages: Record<LockPrecondition, string> = {
    'default-node': 'At least one default node must be selected.',
    'aggregator-node': 'An aggregator node node must be selected.',
    entrypoint: 'An entrypoint must be selected.',
    'master-image': 'A master image must be assigned to the analysis.'
  }

  test.concurrent.each(Object.entries(lockMessages))('lock rejected: %s', async (precondition, message) => {
    const outcome = await playFault({ faults: { lockRejected: precondition as LockPrecondition } })

    expectRound(outcome, {
      steps: 'SSFUUU',
      nodes: 'FFF',
      status: 'major_outage',
      reason: `configurationLock was rejected: POST /core/analyses/`,
      exit: null
    })
    expect(outcome.report.steps.distribute.reasons.join('\n')).toContain(message)
    expect(outcome.summaryText).toContain(message)
  })

  test.concurrent('buildStart without node approval', async () => {
    const outcome = await playFault({ faults: { nodes: { 'default-2': { analysisApproval: 'pending' } } } })

    expectRound(outcome, {
      steps: 'SSFSSS',
      nodes: 'SSF',
      status: 'partial_outage',
      reason: 'All assigned nodes have to approve the analysis.',
      exit: null
    })
    expect(outcome.report.steps.distribute.reasons[0]).toContain('default-2: approval pending')
  })

  test.concurrent('buildStart after a rejected approval', async () => {
    const outcome = await playFault({ era: 'e3', faults: { nodes: { 'default-2': { analysisApproval: 'rejected' } } } })

    expectRound(outcome, {
      steps: 'SSFSSS',
      nodes: 'SSF',
      status: 'partial_outage',
      reason: 'All assigned nodes have to approve the analysis.',
      exit: null
    })
  })

  test.concurrent('distributionStart to an aggregator without registry', async () => {
    const outcome = await playFault({ faults: { nodes: { 'aggregator-1': { noRegistry: true } } } })

    // Only the aggregator lacks the registry, so the compute nodes are not blamed.
    expectRound(outcome, {
      steps: 'SSFUUU',
      nodes: 'FUU',
      status: 'major_outage',
      reason: 'The node aggregator-1 is not assigned to a registry yet.',
      exit: null
    })
    expect(outcome.summaryText).toContain('aggregator aggregator-1 has no registry assigned, so distribution will fail')
  })

  test.concurrent('compute node without registry fails its pre-check', async () => {
    const outcome = await playFault({ scenario: 'no-registry' })

    expectRound(outcome, {
      steps: 'SSSSSS',
      nodes: 'SSF',
      status: 'partial_outage',
      reason: 'node default-2 has no registry assigned on the Hub',
      exit: null
    })
  })
})

describe('build and distribution faults', () => {
  test.concurrent('build fails', async () => {
    const outcome = await playFault({ scenario: 'build-fails', failOn: 'any-failure' })

    expectRound(outcome, {
      steps: 'SSFUUU',
      nodes: 'FFF',
      status: 'major_outage',
      reason: 'build status failed, progress 60',
      exit: "fail-on is 'any-failure'"
    })
  })

  test.concurrent('build stalls', async () => {
    const outcome = await playFault({ scenario: 'build-stalls', settings: { budgets: { build: 1 } } })

    expectRound(outcome, {
      steps: 'SSFUUU',
      nodes: 'FFF',
      status: 'major_outage',
      reason: 'build did not finish within 1 s (last seen: build status started, progress 40',
      exit: null
    })
  })

  test.concurrent('distribution fails', async () => {
    const outcome = await playFault({ era: 'e3', scenario: 'distribution-fails' })

    expectRound(outcome, {
      steps: 'SSFUUU',
      nodes: 'FFF',
      status: 'major_outage',
      reason: 'distribution status failed, progress 60',
      exit: null
    })
  })

  test.concurrent('distribution stalls', async () => {
    const outcome = await playFault({ scenario: 'distribution-stalls', settings: { budgets: { distribution: 1 } } })

    expectRound(outcome, {
      steps: 'SSFUUU',
      nodes: 'FFF',
      status: 'major_outage',
      reason: 'distribution did not finish within 1 s (last seen: distribution status started, progress 40',
      exit: null
    })
  })
})

describe('execution faults', () => {
  test.concurrent('node never starts', async () => {
    const outcome = await playFault({ scenario: 'node-down', settings: { budgets: { execution: 8 } }, failOn: 'partial-outage' })

    expectRound(outcome, {
      steps: 'SSSFSS',
      nodes: 'SSF',
      status: 'partial_outage',
      reason: 'execution did not finish within 8 s',
      exit: 'partial_outage'
    })
    expect(outcome.report.nodes['default-2']?.reason).toContain('default-2: approval approved, execution none yet')
  })

  test.concurrent('node execution fails', async () => {
    const outcome = await playFault({ era: 'e3', scenario: 'execution-fails' })

    expectRound(outcome, {
      steps: 'SSSFSS',
      nodes: 'SSF',
      status: 'partial_outage',
      reason: 'execution on',
      exit: null
    })
    expect(outcome.report.nodes['default-2']?.reason).toMatch(/^execute failed: execution on (default-2|aggregator-1) ended with status failed/)
  })

  test.concurrent('aggregator execution fails', async () => {
    const outcome = await playFault({ scenario: 'aggregator-fails', failOn: 'major-outage' })

    // The compute nodes executed, so only the aggregator is blamed.
    expectRound(outcome, {
      steps: 'SSSFUU',
      nodes: 'FUU',
      status: 'major_outage',
      reason: 'execution on aggregator-1 ended with status failed',
      exit: 'major_outage'
    })
    expect(outcome.report.nodes['aggregator-1']?.reason).toMatch(/^no pair passed: /)
    expect(outcome.report.nodes['default-1']?.reason).toMatch(/^execute failed on the aggregator: /)
  })

  test.concurrent('aggregator gives up on a down node', async () => {
    // The aggregator's wait for default-2's result ends after 2 s, well before the 15 s
    // execution budget, so the aggregator fails while default-2 has not started.
    const outcome = await playFault({
      scenario: 'node-down',
      simulator: { executionTimeoutSeconds: 2 },
      settings: { budgets: { execution: 15 } }
    })

    expectRound(outcome, {
      steps: 'SSSFSS',
      nodes: 'SSF',
      status: 'partial_outage',
      reason: 'execution on aggregator-1 ended with status failed',
      exit: null
    })
    expect(outcome.report.nodes['default-2']?.reason).toContain('default-2: approval approved, execution none yet')
  })
})
