import { afterAll, expect, test } from '@jest/globals'

import { AnalysisAdmission } from '../../simulator/hub/admission.js'
import { startHubSimulator, type HubSimulator } from '../../simulator/hub/index.js'
import { runPair } from './helpers.js'

const started: HubSimulator[] = []

afterAll(async () => {
  await Promise.all(started.map((sim) => sim.stop()))
})

test('admission queues whole analyses', () => {
  const admission = new AnalysisAdmission(1)
  const events: string[] = []
  const enter = (analysisId: string, node: string) =>
    admission.enter(analysisId, () => events.push(`start ${analysisId}/${node}`), () => events.push(`cancel ${analysisId}/${node}`))

  enter('a', 'aggregator')
  enter('b', 'aggregator')
  enter('a', 'analyzer')
  enter('b', 'analyzer')
  enter('c', 'aggregator')
  expect(events).toEqual(['start a/aggregator', 'start a/analyzer'])
  expect(admission.queued).toBe(2)

  admission.leave('a')
  expect(events).toHaveLength(2)
  admission.leave('a')
  expect(events.slice(2)).toEqual(['start b/aggregator', 'start b/analyzer'])

  admission.discard('c')
  expect(events.slice(4)).toEqual(['cancel c/aggregator'])
  expect(admission.queued).toBe(0)
})

test('one slot still finishes parallel pairs', async () => {
  const sim = await startHubSimulator({ timeScale: 0.01, maxConcurrentAnalyses: 1 })
  started.push(sim)
  const runs = await Promise.all([
    runPair(sim, { nodeName: 'default-1', projectName: 'slot-1' }),
    runPair(sim, { nodeName: 'default-2', projectName: 'slot-2' })
  ])
  for (const run of runs) {
    expect(run.failedAt).toBeUndefined()
    expect(run.nodeStatus[run.nodeId]).toBe('executed')
    expect(run.nodeStatus[run.aggregatorId]).toBe('executed')
  }
})
