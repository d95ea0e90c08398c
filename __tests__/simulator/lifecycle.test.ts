import { afterEach, describe, expect, test } from '@jest/globals'

import { startHubSimulator, type HubSimulator } from '../../simulator/hub/index.js'
import { call, downloadResult, readTar, record, runPair, token } from './helpers.js'

let sim: HubSimulator | undefined

afterEach(async () => {
  await sim?.stop()
  sim = undefined
})

describe.each(['e3', 'e4'] as const)('healthy pair round (%s)', (era) => {
  test('runs python and returns the payload', async () => {
    sim = await startHubSimulator({ era, timeScale: 0.01 })
    const run = await runPair(sim)

    expect(run.failedAt).toBeUndefined()
    expect(run.nodeStatus[run.aggregatorId]).toBe('executed')
    expect(run.nodeStatus[run.nodeId]).toBe('executed')
    const analysis = record(await call(sim.coreUrl, await token(sim), 'GET', `analyses/${run.analysisId}`), era)
    expect(analysis[era === 'e3' ? 'execution_status' : 'executionStatus']).toBe('executed')

    const response = await downloadResult(sim, run.analysisId)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/x-tar')
    const entries = readTar(new Uint8Array(await response.arrayBuffer()))
    expect(entries).toHaveLength(1)
    expect(entries[0]?.name).toMatch(/^result_[0-9a-f]{4}_\d{12}$/)

    const payload = JSON.parse(entries[0]?.content.toString('utf8') ?? '')
    expect(payload.overall_success).toBe(true)
    expect(payload.node_results).toEqual({ [run.aggregatorId]: 'ok', [run.nodeId]: 'ok' })
    expect(payload.nodes_responded).toBe(2)
    expect(typeof payload.timestamp).toBe('number')

    // About 85 simulated seconds at time scale 0.01, plus python time.
    const wall = sim.inherentWallSeconds()[run.analysisId] ?? 0
    expect(wall).toBeGreaterThan(0.5)
    expect(wall).toBeLessThan(10)
    expect(sim.inherentSeconds()[run.analysisId]).toBeCloseTo(wall / 0.01, 6)
  })
})

test('inherent time covers the minimum execution', async () => {
  // At time scale 0.05 the 12 s minimum execution (0.6 s) outlasts a python run, so the
  // analysis-nodes report executed after the RESULT file; the critical path must include that.
  sim = await startHubSimulator({ timeScale: 0.05 })
  const run = await runPair(sim)

  expect(run.failedAt).toBeUndefined()
  const nominalSeconds = 2 + 1.5 + 30 + 20 + 15 + 3 + 2 + 12
  expect(sim.inherentSeconds()[run.analysisId]).toBeGreaterThanOrEqual(nominalSeconds - 0.5)
})
