// The round against the real Hub simulator (HTTP on 127.0.0.1, python3 node runs) through
// the real HubClient, at 1/100 of the Hub's time.

import { readFileSync } from 'node:fs'

import { afterEach, describe, expect, it } from '@jest/globals'

import { startHubSimulator, type HubSimulator, type HubSimulatorOptions } from '../../simulator/hub/index.js'
import { HubClient } from '../../src/hub/client.js'
import type { HubApi } from '../../src/hub/api.js'
import type { PairRecord, RoundRecord } from '../../src/round/record.js'
import { runRound } from '../../src/round/round.js'
import type { RoundBudgets, RoundSettings } from '../../src/round/settings.js'
import { roundSettings } from './support/settings.js'

const script = { fileName: '00_test_connection.py', content: readFileSync('flame_checks/00_test_connection.py') }
/** Real seconds; the python node runs take a few seconds whatever the time scale. */
const budgets: RoundBudgets = { login: 10, bucket: 5, build: 5, distribution: 5, execution: 30, results: 5 }

let simulator: HubSimulator | undefined

afterEach(async () => {
  await simulator?.stop()
  simulator = undefined
})

async function start(options: HubSimulatorOptions = {}): Promise<{ sim: HubSimulator; hub: HubClient }> {
  const sim = await startHubSimulator({ timeScale: 0.01, port: 0, ...options })
  simulator = sim
  const hub = new HubClient({
    authUrl: sim.authUrl,
    coreUrl: sim.coreUrl,
    storageUrl: sim.storageUrl,
    username: sim.username,
    password: sim.password
  })
  return { sim, hub }
}

async function play(hub: HubApi, sim: HubSimulator, settings: Partial<RoundSettings> = {}, signal?: AbortSignal): Promise<RoundRecord> {
  return runRound({
    hub,
    coreUrl: sim.coreUrl,
    signal,
    settings: roundSettings({ script, budgets, pollInterval: 0.05, ...settings })
  })
}

function pairOf(record: RoundRecord, node: string): PairRecord {
  const pair = record.pairs.find((candidate) => candidate.node === node)
  if (pair === undefined) throw new Error(`no pair for ${node}`)
  return pair
}

function statuses(pair: PairRecord): string[] {
  return Object.values(pair.steps).map((step) => step.status)
}

const ALL_SUCCESS = ['success', 'success', 'success', 'success', 'success']

describe('runRound on the simulator', () => {
  it.each(['e3', 'e4'] as const)('passes a healthy round in era %s', async (era) => {
    const { sim, hub } = await start({ era })
    const record = await play(hub, sim)

    expect(record.hub.era).toBe(era)
    expect(record.login.status).toBe('success')
    expect(record.setup.status).toBe('success')
    expect(record.pairs.map((pair) => pair.node)).toEqual(['default-1', 'default-2'])
    for (const pair of record.pairs) {
      expect(statuses(pair)).toEqual(ALL_SUCCESS)
      expect(pair.cleanup).toBe('deleted')
    }
    expect(sim.world.analyses.size).toBe(0)
  })

  it('fails execute for a node that is down', async () => {
    const { sim, hub } = await start({ scenario: 'node-down' })
    const record = await play(hub, sim, { nodes: ['aggregator-1', 'default-2'], budgets: { ...budgets, execution: 2 } })

    const pair = pairOf(record, 'default-2')
    expect(pair.failedStep).toBe('execute')
    expect(pair.steps.execute.reason).toContain('execution did not finish within 2 s')
    expect(pair.steps.execute.reason).toContain('default-2: approval approved, execution none yet')
    expect(pair.cleanup).toBe('kept')
    expect(sim.world.analyses.has(pair.analysisId!)).toBe(true)
  })

  it('fails distribute when the build fails', async () => {
    const { sim, hub } = await start({ scenario: 'build-fails' })
    const record = await play(hub, sim)

    for (const pair of record.pairs) {
      expect(pair.failedStep).toBe('distribute')
      expect(pair.steps.distribute.reason).toMatch(/^build status failed, progress \d+ after/)
    }
  })

  it('fails the pre-check of an unknown node name', async () => {
    const { sim, hub } = await start()
    const record = await play(hub, sim, { nodes: ['aggregator-1', 'default-1', 'default-9'] })

    expect(pairOf(record, 'default-9').precheck).toEqual({
      passed: false,
      cause: 'unknown-node',
      reason: 'node default-9 is not registered on the Hub'
    })
    expect(statuses(pairOf(record, 'default-1'))).toEqual(ALL_SUCCESS)
  })

  it('fails every upload when setup fails', async () => {
    const { sim, hub } = await start({ scenario: 'setup-fails' })
    const record = await play(hub, sim)

    expect(record.setup.status).toBe('failed')
    expect(record.setup.reason).toContain('POST /core/projects failed with HTTP 403')
    for (const pair of record.pairs) {
      expect(pair.steps.upload.status).toBe('failed')
      expect(pair.steps.upload.reason).toMatch(/^project setup failed: /)
      expect(pair.analysisId).toBeNull()
    }
  })

  it('fails the pre-check of a node without registry', async () => {
    const { sim, hub } = await start({ scenario: 'no-registry' })
    const record = await play(hub, sim, { nodes: ['aggregator-1', 'default-2'] })

    expect(pairOf(record, 'default-2').precheck).toMatchObject({ passed: false, cause: 'no-registry' })
    expect(record.setup.status).toBe('unknown')
    expect(sim.world.analyses.size).toBe(0)
  })

  it('rejects a gzip-compressed result', async () => {
    const { sim, hub } = await start({ scenario: 'gzip-result' })
    const record = await play(hub, sim, { nodes: ['aggregator-1', 'default-1'] })

    expect(pairOf(record, 'default-1').steps.results.reason).toBe(
      'invalid result tar: the stream is gzip-compressed, but the Hub streams an uncompressed tar'
    )
  })

  it('cancels mid-round and cleans up', async () => {
    const { sim, hub } = await start()
    const controller = new AbortController()
    // Abort as soon as the first build starts, so upload has passed and distribute is running.
    const watched = new Proxy(hub, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver)
        if (property !== 'sendCommand') return typeof value === 'function' ? value.bind(target) : value
        return async (...args: Parameters<HubApi['sendCommand']>) => {
          const analysis = await target.sendCommand(...args)
          if (args[1] === 'buildStart') controller.abort(new Error('cancelled by SIGINT'))
          return analysis
        }
      }
    })

    const started = Date.now()
    const record = await play(watched, sim, { nodes: ['aggregator-1', 'default-1'] }, controller.signal)

    expect(record.cancelled).toBe(true)
    const pair = pairOf(record, 'default-1')
    expect(pair.steps.upload.status).toBe('success')
    expect(pair.steps.distribute).toEqual({ status: 'unknown', seconds: null, reason: 'cancelled' })
    expect(pair.steps.latency).toEqual({ status: 'unknown', seconds: null, reason: 'cancelled' })
    expect(pair.cleanup).toBe('deleted')
    expect(sim.world.analyses.size).toBe(0)
    expect(Date.now() - started).toBeLessThan(5000)
  })
})
