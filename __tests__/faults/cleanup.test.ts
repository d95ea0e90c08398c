// Clean-up of analyses. keep-analyses decides what happens to the round's own analyses, also
// after a failure or a cancellation. Stale analyses of the configured project are deleted
// before the round, while analyses of other projects and recent ones stay.

import { describe, expect, test } from '@jest/globals'

import type { HubSimulator } from '../../simulator/hub/index.js'
import { HubClient } from '../../src/hub/client.js'
import { playFault } from './harness.js'

const HOUR_MS = 3_600_000

/** Creates an analysis in `projectName` (creating the project if needed) and backdates it by `ageMs`. */
async function seedAnalysis(sim: HubSimulator, projectName: string, name: string, ageMs: number): Promise<string> {
  const hub = new HubClient({
    authUrl: sim.authUrl,
    coreUrl: sim.coreUrl,
    storageUrl: sim.storageUrl,
    username: sim.username,
    password: sim.password
  })
  const project = (await hub.findProject(projectName)) ?? (await hub.createProject(projectName))
  const analysis = await hub.createAnalysis({ projectId: project.id, name, masterImageId: null })
  sim.world.analyses.get(analysis.id)!.createdAt = new Date(Date.now() - ageMs).toISOString()
  return analysis.id
}

/** Aborts `controller` once every analysis on the Hub has started its build. */
function abortWhenBuildsStart(sim: HubSimulator, controller: AbortController, count: number): void {
  const timer = setInterval(() => {
    const analyses = [...sim.world.analyses.values()]
    if (analyses.length === count && analyses.every((analysis) => analysis.buildStatus !== null)) {
      clearInterval(timer)
      controller.abort(new Error('cancelled by SIGINT'))
    }
  }, 20)
  controller.signal.addEventListener('abort', () => clearInterval(timer))
}

describe('keep-analyses', () => {
  test.concurrent('on-failure keeps only failed pairs', async () => {
    const outcome = await playFault({
      faults: { nodes: { 'default-2': { analysisApproval: 'pending' } } },
      settings: { keepAnalyses: 'on-failure' }
    })

    const cleanup = Object.fromEntries(outcome.record.pairs.map((pair) => [pair.node, pair.cleanup]))
    expect(cleanup).toEqual({ 'default-1': 'deleted', 'default-2': 'kept' })
    const kept = outcome.record.pairs.find((pair) => pair.node === 'default-2')!.analysisId
    expect(outcome.analysesLeft).toEqual([kept])
  })

  test.concurrent('always keeps passed pairs', async () => {
    const outcome = await playFault({ settings: { keepAnalyses: 'always', nodes: ['aggregator-1', 'default-1'] } })

    expect(outcome.record.pairs.map((pair) => pair.cleanup)).toEqual(['kept'])
    expect(outcome.analysesLeft).toHaveLength(1)
  })

  test.concurrent('never deletes failed pairs', async () => {
    const outcome = await playFault({ scenario: 'build-fails', settings: { keepAnalyses: 'never' } })

    expect(outcome.record.pairs.map((pair) => pair.cleanup)).toEqual(['deleted', 'deleted'])
    expect(outcome.analysesLeft).toEqual([])
  })

  test.concurrent('on-failure deletes cancelled pairs', async () => {
    const controller = new AbortController()
    const outcome = await playFault({
      scenario: 'build-stalls',
      settings: { keepAnalyses: 'on-failure', budgets: { build: 30 } },
      prepare: (sim) => abortWhenBuildsStart(sim, controller, 2),
      signal: controller.signal
    })

    expect(outcome.record.cancelled).toBe(true)
    expect(outcome.record.pairs.map((pair) => pair.steps.distribute.reason)).toEqual(['cancelled', 'cancelled'])
    expect(outcome.record.pairs.map((pair) => pair.cleanup)).toEqual(['deleted', 'deleted'])
    expect(outcome.analysesLeft).toEqual([])
  })

  test.concurrent('always keeps cancelled pairs', async () => {
    const controller = new AbortController()
    const outcome = await playFault({
      scenario: 'build-stalls',
      settings: { keepAnalyses: 'always', budgets: { build: 30 } },
      prepare: (sim) => abortWhenBuildsStart(sim, controller, 2),
      signal: controller.signal
    })

    expect(outcome.record.cancelled).toBe(true)
    expect(outcome.record.pairs.map((pair) => pair.cleanup)).toEqual(['kept', 'kept'])
    expect(outcome.analysesLeft).toHaveLength(2)
  })
})

describe('stale analyses', () => {
  test.concurrent('only the project’s old analyses go', async () => {
    const seeded: Record<string, string> = {}
    const outcome = await playFault({
      scenario: 'build-fails',
      settings: { staleAfter: 3600, keepAnalyses: 'never' },
      prepare: async (sim) => {
        seeded.stale = await seedAnalysis(sim, 'health-check', 'old-round', 2 * HOUR_MS)
        seeded.recent = await seedAnalysis(sim, 'health-check', 'running-round', 0.25 * HOUR_MS)
        seeded.otherProject = await seedAnalysis(sim, 'other-project', 'someone-elses', 48 * HOUR_MS)
      }
    })

    expect(outcome.analysesBefore.sort()).toEqual(Object.values(seeded).sort())
    expect(outcome.analysesLeft.sort()).toEqual([seeded.recent, seeded.otherProject].sort())
    expect(outcome.record.setup.staleAnalysesDeleted).toBe(1)
    expect(outcome.summaryText).toContain('Deleted 1 stale analysis of the project before the round.')
  })

  test.concurrent('nothing deleted when setup fails', async () => {
    // The project cannot be created, so no project's analyses are listed, let alone deleted.
    const seeded: string[] = []
    const outcome = await playFault({
      prepare: async (sim) => {
        seeded.push(await seedAnalysis(sim, 'other-project', 'someone-elses', 48 * HOUR_MS))
        sim.setFaults({ projectCreateStatus: 403 })
      }
    })

    expect(outcome.record.setup.status).toBe('failed')
    expect(outcome.analysesLeft).toEqual(seeded)
  })
})
