import { describe, expect, it } from '@jest/globals'

import type { LineStatus } from '../../src/history/format.js'
import type { RoundRecord } from '../../src/round/record.js'
import { downNodes, mergeRound } from '../../src/verdict/merge.js'
import type { OverallStatus, StepKey } from '../../src/verdict/overall.js'
import {
  failedPair,
  NODES,
  passedPair,
  precheckFailedPair,
  roundRecord,
  slowPair
} from './fixtures.js'

interface Case {
  name: string
  record: RoundRecord
  nodes?: string[]
  steps: Record<StepKey, LineStatus>
  nodeStatuses: Record<string, LineStatus>
  overall: OverallStatus
}

const S = 'success'
const F = 'failed'
const U = 'unknown'

const CASES: Case[] = [
  {
    name: 'healthy round',
    record: roundRecord([passedPair('default-1'), passedPair('default-2')]),
    steps: { login: S, upload: S, distribute: S, execute: S, results: S, latency: S },
    nodeStatuses: { 'aggregator-1': S, 'default-1': S, 'default-2': S },
    overall: 'operational'
  },
  {
    name: 'one node down at execute',
    record: roundRecord([passedPair('default-1'), failedPair('default-2', 'execute', 'node default-2 stopped')]),
    steps: { login: S, upload: S, distribute: S, execute: F, results: S, latency: S },
    nodeStatuses: { 'aggregator-1': S, 'default-1': S, 'default-2': F },
    overall: 'partial_outage'
  },
  {
    name: 'build fails for every pair',
    record: roundRecord([
      failedPair('default-1', 'distribute', 'build failed'),
      failedPair('default-2', 'distribute', 'build failed')
    ]),
    steps: { login: S, upload: S, distribute: F, execute: U, results: U, latency: U },
    nodeStatuses: { 'aggregator-1': F, 'default-1': F, 'default-2': F },
    overall: 'major_outage'
  },
  {
    name: 'upload fails on the Hub side',
    record: roundRecord([
      failedPair('default-1', 'upload', 'CODE bucket did not appear'),
      failedPair('default-2', 'upload', 'CODE bucket did not appear')
    ]),
    steps: { login: S, upload: F, distribute: U, execute: U, results: U, latency: U },
    nodeStatuses: { 'aggregator-1': U, 'default-1': U, 'default-2': U },
    overall: 'major_outage'
  },
  {
    name: 'unknown node name',
    record: roundRecord([
      passedPair('default-1'),
      precheckFailedPair('ghost-7', 'unknown-node', 'node ghost-7 is not registered on the Hub')
    ]),
    nodes: ['aggregator-1', 'default-1', 'ghost-7'],
    steps: { login: S, upload: S, distribute: S, execute: S, results: S, latency: S },
    nodeStatuses: { 'aggregator-1': S, 'default-1': S, 'ghost-7': F },
    overall: 'partial_outage'
  },
  {
    name: 'setup fails after login',
    record: roundRecord([], {
      setup: {
        status: 'failed',
        seconds: 0.2,
        reason: 'POST /projects answered 403',
        projectId: null,
        projectName: 'health-check',
        masterImage: null,
        staleAnalysesDeleted: 0
      }
    }),
    steps: { login: S, upload: F, distribute: U, execute: U, results: U, latency: U },
    nodeStatuses: { 'aggregator-1': U, 'default-1': U, 'default-2': U },
    overall: 'major_outage'
  },
  {
    name: 'login fails',
    record: roundRecord([], {
      login: { status: 'failed', seconds: 10.01, reason: 'login took 10.01 s, budget 10 s' },
      setup: {
        status: 'unknown',
        seconds: null,
        projectId: null,
        projectName: 'health-check',
        masterImage: null,
        staleAnalysesDeleted: 0
      },
      aggregator: null
    }),
    steps: { login: F, upload: U, distribute: U, execute: U, results: U, latency: U },
    nodeStatuses: { 'aggregator-1': U, 'default-1': U, 'default-2': U },
    overall: 'major_outage'
  },
  {
    name: 'latency over the limit',
    record: roundRecord([passedPair('default-1'), slowPair('default-2', 700)]),
    steps: { login: S, upload: S, distribute: S, execute: S, results: S, latency: F },
    nodeStatuses: { 'aggregator-1': S, 'default-1': S, 'default-2': S },
    overall: 'degraded'
  },
  {
    name: 'no registry pre-check',
    record: roundRecord([
      passedPair('default-1'),
      precheckFailedPair('default-2', 'no-registry', 'node default-2 has no registry')
    ]),
    steps: { login: S, upload: S, distribute: S, execute: S, results: S, latency: S },
    nodeStatuses: { 'aggregator-1': S, 'default-1': S, 'default-2': F },
    overall: 'partial_outage'
  },
  {
    name: 'results wrong for one pair',
    record: roundRecord([passedPair('default-1'), failedPair('default-2', 'results', 'payload lacks node')]),
    steps: { login: S, upload: S, distribute: S, execute: S, results: F, latency: S },
    nodeStatuses: { 'aggregator-1': S, 'default-1': S, 'default-2': F },
    overall: 'partial_outage'
  }
]

describe('mergeRound', () => {
  it.each(CASES)('$name', (testCase) => {
    const verdicts = mergeRound(testCase.record, testCase.nodes ?? NODES)

    expect(verdicts.statuses.steps).toEqual(testCase.steps)
    expect(verdicts.statuses.nodes).toEqual(testCase.nodeStatuses)
    expect(verdicts.overall).toBe(testCase.overall)
  })

  it('averages durations over passed pairs only', () => {
    const record = roundRecord([
      passedPair('default-1', 1),
      passedPair('default-2', 3),
      failedPair('default-3', 'execute', 'stopped')
    ])

    const verdicts = mergeRound(record, ['aggregator-1', 'default-1', 'default-2', 'default-3'])

    expect(verdicts.steps.upload.seconds).toBeCloseTo((3 + 3 + 9) / 3)
    expect(verdicts.steps.execute.seconds).toBeCloseTo((20 + 60) / 2)
    expect(verdicts.steps.latency.seconds).toBeCloseTo((64 + 192) / 2)
    expect(verdicts.steps.login.seconds).toBe(0.42)
  })

  it('gives the aggregator the mean latency', () => {
    const record = roundRecord([passedPair('default-1', 1), passedPair('default-2', 2)])

    const aggregator = mergeRound(record, NODES).nodes[0]!

    expect(aggregator.role).toBe('aggregator')
    expect(aggregator.seconds).toBeCloseTo(96)
  })

  it('keeps no duration for failed nodes', () => {
    const record = roundRecord([passedPair('default-1'), failedPair('default-2', 'execute', 'stopped')])

    const node = mergeRound(record, NODES).nodes[2]!

    expect(node.seconds).toBeNull()
    expect(node.reason).toBe('execute failed: stopped')
  })

  it('does not blame nodes for an aggregator failure', () => {
    const pairs = ['default-1', 'default-2'].map((node) => ({
      ...failedPair(node, 'execute', 'execution on aggregator-1 ended with failed'),
      culprit: 'aggregator' as const
    }))

    const verdicts = mergeRound(roundRecord(pairs), NODES)

    expect(verdicts.nodes.map((node) => node.status)).toEqual([F, U, U])
    expect(verdicts.nodes[1]!.reason).toBe('execute failed on the aggregator: execution on aggregator-1 ended with failed')
    expect(verdicts.nodes[0]!.reason).toBe(
      'no pair passed: the aggregator failed at execute with default-1, the aggregator failed at execute with default-2'
    )
    expect(verdicts.overall).toBe('major_outage')
  })

  it('names the setup failure in upload', () => {
    const record = roundRecord([], {
      setup: {
        status: 'failed',
        seconds: 0.2,
        reason: 'POST /projects answered 403',
        projectId: null,
        projectName: 'health-check',
        masterImage: null,
        staleAnalysesDeleted: 0
      }
    })

    const verdicts = mergeRound(record, NODES)

    expect(verdicts.steps.upload.reasons).toEqual(['project setup failed: POST /projects answered 403'])
    expect(verdicts.nodes[1]!.reason).toBe('project setup failed: POST /projects answered 403')
  })

  it('prefixes step reasons with the node', () => {
    const record = roundRecord([passedPair('default-1'), failedPair('default-2', 'distribute', 'build failed')])

    const verdicts = mergeRound(record, NODES)

    expect(verdicts.steps.distribute.reasons).toEqual(['default-2: build failed'])
  })

  it('marks roles undetermined before the split', () => {
    const record = roundRecord([], {
      login: { status: 'failed', seconds: null, reason: 'auth answered 503' },
      aggregator: null
    })

    const verdicts = mergeRound(record, NODES)

    expect(verdicts.nodes.map((node) => node.role)).toEqual(['undetermined', 'undetermined', 'undetermined'])
    expect(verdicts.nodes[0]!.reason).toBe('login failed: auth answered 503')
  })

  it('keeps cancelled pairs unknown', () => {
    const pair = passedPair('default-2')
    pair.steps.execute = { status: 'unknown', seconds: null, reason: 'cancelled' }
    pair.steps.results = { status: 'unknown', seconds: null, reason: 'cancelled' }
    pair.steps.latency = { status: 'unknown', seconds: null, reason: 'cancelled' }
    pair.latencySeconds = null
    const record = roundRecord([passedPair('default-1'), pair], { cancelled: true })

    const verdicts = mergeRound(record, NODES)

    expect(verdicts.statuses.nodes['default-2']).toBe('unknown')
    expect(verdicts.nodes[2]!.reason).toBe('execute: cancelled')
    expect(verdicts.steps.execute.status).toBe('success')
    expect(verdicts.overall).toBe('partial_outage')
  })

  it('reports no data for a round cancelled before any verdict', () => {
    const cancelledPair = (node: string) => {
      const pair = passedPair(node)
      for (const key of ['distribute', 'execute', 'results', 'latency'] as const) {
        pair.steps[key] = { status: 'unknown', seconds: null, reason: 'cancelled' }
      }
      pair.latencySeconds = null
      return pair
    }
    const record = roundRecord([cancelledPair('default-1'), cancelledPair('default-2')], { cancelled: true })

    const verdicts = mergeRound(record, NODES)

    expect(verdicts.nodes.map((node) => node.status)).toEqual([U, U, U])
    expect(verdicts.overall).toBe('no_data')
  })

  it('lists down nodes in order', () => {
    const record = roundRecord([
      failedPair('default-1', 'execute', 'stopped'),
      failedPair('default-2', 'results', 'bad payload')
    ])

    expect(downNodes(mergeRound(record, NODES))).toEqual(['aggregator-1', 'default-1', 'default-2'])
  })
})
