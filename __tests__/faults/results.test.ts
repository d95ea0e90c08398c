// Fault matrix, results: the RESULT bucket is damaged, hostile or wrong, so the one pair
// fails at results, which involves the node, and the round is a major outage.

import { describe, expect, test } from '@jest/globals'

import { expectRound, playFault, type FaultCase } from './harness.js'

/** One pair keeps the python runs, two per pair, few on a small machine. */
const ONE_PAIR = ['aggregator-1', 'default-1']

function resultCase(faultCase: FaultCase): FaultCase {
  return { ...faultCase, settings: { nodes: ONE_PAIR, budgets: { results: 2 }, ...faultCase.settings } }
}

const FAILED_AT_RESULTS = { steps: 'SSSSFU', nodes: 'FF', status: 'major_outage', exit: null } as const

describe('result faults', () => {
  test.concurrent('stalled stream', async () => {
    const outcome = await playFault(resultCase({ scenario: 'stalled-stream' }))

    expectRound(outcome, { ...FAILED_AT_RESULTS, reason: 'no result within 2 s' })
    expect(outcome.report.steps.results.reasons[0]).toContain('the last download timed out')
  })

  test.concurrent('corrupt tar', async () => {
    const outcome = await playFault(resultCase({ era: 'e3', scenario: 'corrupt-tar' }))

    expectRound(outcome, { ...FAILED_AT_RESULTS, reason: 'invalid result tar: ' })
  })

  test.concurrent('gzip instead of tar', async () => {
    const outcome = await playFault(resultCase({ scenario: 'gzip-result' }))

    expectRound(outcome, {
      ...FAILED_AT_RESULTS,
      reason: 'invalid result tar: the stream is gzip-compressed, but the Hub streams an uncompressed tar'
    })
  })

  test.concurrent('empty tar', async () => {
    const outcome = await playFault(resultCase({ scenario: 'empty-result' }))

    expectRound(outcome, { ...FAILED_AT_RESULTS, reason: 'no result within 2 s (RESULT bucket' })
    expect(outcome.report.steps.results.reasons[0]).toMatch(/RESULT bucket \S+ is empty\)$/)
  })

  test.concurrent('path traversal entry', async () => {
    const outcome = await playFault(resultCase({ scenario: 'tar-traversal' }))

    expectRound(outcome, { ...FAILED_AT_RESULTS, reason: 'contains a ".." path segment' })
  })

  test.concurrent('symbolic link entry', async () => {
    const outcome = await playFault(resultCase({ era: 'e3', scenario: 'tar-symlink' }))

    expectRound(outcome, { ...FAILED_AT_RESULTS, reason: 'invalid result tar: entry "result.json" is a symbolic link to "/etc/passwd"' })
  })

  test.concurrent('header claiming 1 GiB', async () => {
    const outcome = await playFault(resultCase({ scenario: 'tar-huge-entry' }))

    expectRound(outcome, { ...FAILED_AT_RESULTS, reason: 'entry "result.json" declares 1073741824 bytes, but the archive has only' })
  })

  test.concurrent('payload not JSON', async () => {
    const outcome = await playFault(resultCase({ scenario: 'result-not-json' }))

    expectRound(outcome, { ...FAILED_AT_RESULTS, reason: 'no file in the RESULT bucket is a JSON object with node_results' })
  })

  test.concurrent('overall_success false', async () => {
    const outcome = await playFault(resultCase({ era: 'e3', scenario: 'overall-false', failOn: 'major-outage' }))

    expectRound(outcome, {
      ...FAILED_AT_RESULTS,
      reason: 'has overall_success false, expected true',
      exit: 'major_outage'
    })
  })

  test.concurrent('node missing from node_results', async () => {
    const outcome = await playFault(resultCase({ scenario: 'missing-node' }))

    expectRound(outcome, { ...FAILED_AT_RESULTS, reason: 'result payload has no node_results entry for the node default-1' })
  })
})
