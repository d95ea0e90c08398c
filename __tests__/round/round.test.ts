import { describe, expect, it } from '@jest/globals'

import { HubError } from '../../src/hub/errors.js'
import type { PairRecord, RoundRecord } from '../../src/round/record.js'
import { runRound, type RoundPhase } from '../../src/round/round.js'
import type { RoundSettings } from '../../src/round/settings.js'
import { DEFAULT_NODES, FakeHub, hubNode, type FakeHubOptions } from './support/fake-hub.js'
import { roundSettings } from './support/settings.js'
import { buildTar, payloadJson } from './support/tar-builder.js'
import { VirtualClock } from './support/virtual-clock.js'

interface Played {
  record: RoundRecord
  hub: FakeHub
  clock: VirtualClock
  phases: { phase: RoundPhase; lines: string[] }[]
  settled: PairRecord[]
  warnings: string[]
}

async function play(
  options: Omit<FakeHubOptions, 'clock'> = {},
  settings: Partial<RoundSettings> = {},
  prepare?: (hub: FakeHub, clock: VirtualClock, controller: AbortController) => void
): Promise<Played> {
  const clock = new VirtualClock()
  const hub = new FakeHub({ clock, ...options })
  const controller = new AbortController()
  prepare?.(hub, clock, controller)
  const phases: Played['phases'] = []
  const settled: PairRecord[] = []
  const warnings: string[] = []
  const record = await runRound({
    hub,
    settings: roundSettings(settings),
    clock,
    signal: controller.signal,
    coreUrl: 'http://127.0.0.1:9/core',
    log: { info: () => {}, debug: () => {}, warning: (message) => warnings.push(message) },
    onPhase: (phase, lines) => phases.push({ phase, lines }),
    onPairSettled: (pair) => settled.push(pair)
  })
  return { record, hub, clock, phases, settled, warnings }
}

function pairOf(record: RoundRecord, node: string): PairRecord {
  const pair = record.pairs.find((candidate) => candidate.node === node)
  if (pair === undefined) throw new Error(`no pair for ${node}`)
  return pair
}

function statuses(pair: PairRecord): Record<string, string> {
  return Object.fromEntries(Object.entries(pair.steps).map(([key, step]) => [key, step.status]))
}

const ALL_SUCCESS = { upload: 'success', distribute: 'success', execute: 'success', results: 'success', latency: 'success' }
const hubError = (status: number, message: string) => new HubError('http', message, { status })

describe('runRound healthy', () => {
  it('passes every pair', async () => {
    const { record, hub, phases, settled } = await play()

    expect(record.login.status).toBe('success')
    expect(record.setup.status).toBe('success')
    expect(record.hub).toEqual({ coreUrl: 'http://127.0.0.1:9/core', version: '0.14.0', era: 'e4' })
    expect(record.aggregator).toEqual({ name: 'aggregator-1', id: 'id-aggregator-1' })
    expect(record.pairs.map((pair) => pair.node)).toEqual(['default-1', 'default-2'])
    for (const pair of record.pairs) {
      expect(statuses(pair)).toEqual(ALL_SUCCESS)
      expect(pair.failedStep).toBeNull()
      expect(pair.cleanup).toBe('deleted')
      expect(pair.latencySeconds).toBeGreaterThan(0)
      expect(pair.polls).toBeGreaterThan(0)
      expect(pair.log.join('\n')).toContain('results passed')
    }
    expect(hub.analyses.size).toBe(0)
    expect(record.cancelled).toBe(false)
    expect(record.misconfiguration).toBeNull()
    expect(phases.map((entry) => entry.phase)).toEqual(['login', 'setup', 'pairs', 'cleanup'])
    expect(settled.map((pair) => pair.node).sort()).toEqual(['default-1', 'default-2'])
  })

  it('trims the analysis to the pair', async () => {
    const { hub } = await play()
    // The second member is seeded into each analysis and must be removed once per pair.
    expect(hub.count('removeAnalysisNode')).toBe(2)
    expect(hub.calls.filter((call) => call === 'command:configurationLock')).toHaveLength(2)
  })

  it('creates the project and its members once', async () => {
    const { record, hub } = await play()
    expect(hub.projects.map((project) => project.name)).toEqual(['health-check'])
    expect(record.setup.projectId).toBe(hub.projects[0]!.id)
    expect(hub.projectNodes.map((member) => member.nodeId).sort()).toEqual(['id-aggregator-1', 'id-default-1', 'id-default-2'])
  })

  it('uses the first master image when none is set', async () => {
    const { record } = await play({}, { masterImage: null })
    expect(record.setup.masterImage).toEqual({ id: 'image-1', virtualPath: 'python/base' })
    expect(record.notes).toContain("master image not set, using the Hub's first image python/base")
  })

  it('deletes only stale analyses of the project', async () => {
    let oldId = ''
    let youngId = ''
    const { record, hub } = await play({}, {}, (fakeHub, clock) => {
      fakeHub.projects.push({
        id: 'project-old',
        name: 'health-check',
        displayName: null,
        masterImageId: null,
        realmId: 'realm-1',
        createdAt: new Date(clock.now()).toISOString(),
        updatedAt: new Date(clock.now()).toISOString()
      })
      oldId = fakeHub.addOldAnalysis('project-old', 2 * 3600_000).id
      youngId = fakeHub.addOldAnalysis('project-old', 60_000).id
      fakeHub.addOldAnalysis('other-project', 5 * 3600_000)
    })
    expect(record.setup.staleAnalysesDeleted).toBe(1)
    expect(hub.deleted).toContain(oldId)
    expect(hub.deleted).not.toContain(youngId)
    expect([...hub.analyses.values()].map((state) => state.analysis.projectId).sort()).toEqual(['other-project', 'project-old'])
  })

  it('runs one pair at a time with maxParallel 1', async () => {
    const { record } = await play({}, { maxParallel: 1 })
    const [first, second] = record.pairs
    expect(second!.startedAt!).toBeGreaterThanOrEqual(first!.endedAt!)
  })

  it('tolerates transient errors while polling', async () => {
    const { record, hub } = await play({ failures: { getAnalysis: { error: hubError(503, 'GET /analyses/x failed with 503'), times: 3 } } })
    expect(record.pairs.map(statuses)).toEqual([ALL_SUCCESS, ALL_SUCCESS])
    expect(hub.count('getAnalysis')).toBeGreaterThan(3)
    const logged = record.pairs.flatMap((pair) => pair.log).filter((line) => line.includes('poll failed'))
    expect(logged).toHaveLength(3)
    expect(logged[0]).toContain('poll failed (1 so far in this wait), polling on until the deadline: GET /analyses/x failed with 503')
  })

  it('sends storageCheck once for a slow CODE bucket', async () => {
    const { record, hub } = await play({ bucketsMissing: true, bucketsAfterStorageCheck: true })
    expect(record.pairs.map(statuses)).toEqual([ALL_SUCCESS, ALL_SUCCESS])
    expect(hub.calls.filter((call) => call === 'command:storageCheck')).toHaveLength(2)
  })

  it('polls on the fixed schedule', async () => {
    const { record, clock } = await play({}, { polling: 'fixed' })
    expect(record.pairs.map(statuses)).toEqual([ALL_SUCCESS, ALL_SUCCESS])
    expect(clock.sleeps).toContain(2000)
    expect(clock.sleeps).toContain(1000)
    expect(clock.sleeps).toContain(3000)
    expect(Math.min(...clock.sleeps)).toBeGreaterThanOrEqual(1000)
  })

  it('adaptive polling finishes sooner than fixed', async () => {
    const adaptive = await play({}, { polling: 'adaptive' })
    const fixed = await play({}, { polling: 'fixed' })
    const latency = (played: Played) => played.record.pairs[0]!.latencySeconds!
    expect(latency(adaptive)).toBeLessThan(latency(fixed))
  })
})

describe('runRound login', () => {
  it('fails a login over its budget', async () => {
    const { record, phases } = await play({ loginMs: 12_000 })
    expect(record.login.status).toBe('failed')
    expect(record.login.reason).toBe('login did not finish within the 10 s budget (password grant and node listing)')
    expect(record.login.seconds).toBe(10)
    expect(record.pairs).toEqual([])
    expect(record.setup.status).toBe('unknown')
    expect(phases.map((entry) => entry.phase)).toEqual(['login'])
  })

  it('fails login when the version probe fails', async () => {
    const error = new HubError('network', 'GET http://127.0.0.1:9/core/ failed: connection refused')
    const { record, hub } = await play({ failures: { detectVersion: { error } } })
    expect(record.login.status).toBe('failed')
    expect(record.login.reason).toContain('version probe of http://127.0.0.1:9/core failed: GET http://127.0.0.1:9/core/ failed: connection refused')
    expect(hub.count('login')).toBe(0)
  })

  it('bounds a hanging version probe', async () => {
    const { record, hub } = await play({ probeMs: 60_000 })
    expect(record.login).toEqual({
      status: 'failed',
      seconds: null,
      reason: 'version probe of http://127.0.0.1:9/core did not answer within 10 s'
    })
    expect(record.endedAt - record.startedAt).toBe(10_000)
    expect(hub.count('login')).toBe(0)
  })

  it('fails login on rejected credentials', async () => {
    const error = new HubError('auth', 'POST /token failed: invalid_grant', { status: 400 })
    const { record } = await play({ failures: { login: { error } } })
    expect(record.login).toMatchObject({ status: 'failed', reason: 'POST /token failed: invalid_grant (HTTP 400)' })
  })
})

describe('runRound node split', () => {
  it('records a misconfiguration without an aggregator', async () => {
    const { record, hub } = await play({}, { nodes: ['default-1', 'default-2', 'aggregator-x'] })
    expect(record.misconfiguration).toBe(
      'none of the configured nodes default-1, default-2, aggregator-x is an aggregator on the Hub (the Hub does not know aggregator-x)'
    )
    expect(record.setup.status).toBe('failed')
    expect(record.aggregator).toBeNull()
    expect(record.pairs).toEqual([])
    expect(hub.count('createAnalysis')).toBe(0)
  })

  it('records a misconfiguration with two aggregators', async () => {
    const nodes = [...DEFAULT_NODES, hubNode('aggregator-2', 'aggregator')]
    const { record } = await play({ nodes }, { nodes: ['aggregator-1', 'aggregator-2', 'default-1'] })
    expect(record.misconfiguration).toContain('2 aggregators (aggregator-1, aggregator-2)')
  })

  it('records a misconfiguration without compute nodes', async () => {
    const { record } = await play({}, { nodes: ['aggregator-1'] })
    expect(record.misconfiguration).toContain('only the aggregator aggregator-1')
  })

  it('fails the pre-check of an unknown name', async () => {
    const { record, settled } = await play({}, { nodes: ['aggregator-1', 'default-1', 'default-9'] })
    const unknown = pairOf(record, 'default-9')
    expect(unknown.precheck).toEqual({ passed: false, cause: 'unknown-node', reason: 'node default-9 is not registered on the Hub' })
    expect(unknown.nodeId).toBeNull()
    expect(unknown.analysisId).toBeNull()
    expect(statuses(pairOf(record, 'default-1'))).toEqual(ALL_SUCCESS)
    expect(settled.map((pair) => pair.node)).toContain('default-9')
    expect(unknown.log).toEqual(['pre-check failed, no analysis run: node default-9 is not registered on the Hub'])
  })

  it('fails the pre-check of a node without registry', async () => {
    const nodes = [hubNode('aggregator-1', 'aggregator'), hubNode('default-1'), hubNode('default-2', 'default', { registryId: null })]
    const { record, hub } = await play({ nodes })
    expect(pairOf(record, 'default-2').precheck).toMatchObject({ passed: false, cause: 'no-registry' })
    expect(hub.count('createAnalysis')).toBe(1)
  })

  it('ignores an unmaintained online flag in auto mode', async () => {
    const { record } = await play()
    expect(record.onlineFlagNote).toBe('The Hub reports online: false for all 3 nodes, so the pre-check ignored the flag.')
    expect(record.pairs.every((pair) => pair.precheck.passed)).toBe(true)
  })

  it('uses a maintained online flag in auto mode', async () => {
    const nodes = [hubNode('aggregator-1', 'aggregator', { online: true }), hubNode('default-1', 'default', { online: true }), hubNode('default-2')]
    const { record } = await play({ nodes })
    expect(pairOf(record, 'default-2').precheck).toMatchObject({ passed: false, cause: 'offline' })
    expect(pairOf(record, 'default-1').precheck.passed).toBe(true)
    expect(record.onlineFlagNote).toContain('2 of 3 nodes online')
  })

  it('requires the online flag in online mode', async () => {
    const { record } = await play({}, { precheck: 'online' })
    expect(record.pairs.map((pair) => pair.precheck.passed)).toEqual([false, false])
    expect(record.setup.status).toBe('unknown')
    expect(record.setup.reason).toBe('no compute node passed the pre-check, so the project was not set up')
  })
})

describe('runRound setup', () => {
  it('fails every pair upload when setup fails', async () => {
    const error = hubError(500, 'GET /master-images failed with 500')
    const { record, hub } = await play({ failures: { listMasterImages: { error } } })
    expect(record.setup.status).toBe('failed')
    expect(record.setup.reason).toBe('GET /master-images failed with 500')
    for (const pair of record.pairs) {
      expect(pair.steps.upload).toEqual({ status: 'failed', seconds: null, reason: 'project setup failed: GET /master-images failed with 500' })
      expect(pair.failedStep).toBe('upload')
      expect(pair.steps.distribute.status).toBe('unknown')
      expect(pair.log).toEqual(['not run: project setup failed: GET /master-images failed with 500'])
    }
    expect(hub.count('createAnalysis')).toBe(0)
  })

  it('notes pending project memberships', async () => {
    const { record } = await play({ projectApproval: null })
    expect(record.setup.status).toBe('success')
    expect(record.notes).toEqual([
      'the membership of node default-1 in project health-check is pending approval',
      'the membership of node default-2 in project health-check is pending approval'
    ])
  })

  it('fails setup for a missing master image', async () => {
    const { record } = await play({}, { masterImage: 'python/missing' })
    expect(record.setup.reason).toBe('master image "python/missing" not found on the Hub; available virtual paths: python/base, python/slim')
  })

  it('fails setup when the Hub renames the project', async () => {
    const { record } = await play({}, { project: 'Health-Check' })
    expect(record.setup.status).toBe('failed')
    expect(record.setup.reason).toContain('the Hub created project "health-check"')
  })
})

describe('runRound pair failures', () => {
  it('fails distribute on a failed build and keeps the analysis', async () => {
    const { record, hub } = await play({ buildStatusAtEnd: 'failed' })
    for (const pair of record.pairs) {
      expect(pair.failedStep).toBe('distribute')
      expect(pair.steps.distribute.reason).toMatch(/^build status failed, progress 100 after \d+\.\d s$/)
      expect(pair.steps.execute.status).toBe('unknown')
      expect(pair.cleanup).toBe('kept')
    }
    expect(hub.analyses.size).toBe(2)
  })

  it('lists node states when buildStart is rejected', async () => {
    const error = hubError(400, 'POST /analyses/x/command failed with HTTP 400: All assigned nodes have to approve the analysis.')
    const { record } = await play({ rejectCommand: { command: 'buildStart', error } })
    const pair = pairOf(record, 'default-1')
    expect(pair.failedStep).toBe('distribute')
    expect(pair.steps.distribute.reason).toBe(
      'buildStart was rejected: POST /analyses/x/command failed with HTTP 400: All assigned nodes have to approve the analysis. ' +
        '(analysis-nodes: aggregator-1: approval approved, execution none yet, no artifact tag; ' +
        'default-1: approval approved, execution none yet, no artifact tag)'
    )
  })

  it('names the last state on a build timeout', async () => {
    const { record } = await play({ buildMs: 500_000 }, { budgets: { ...roundSettings().budgets, build: 20 } })
    const reason = pairOf(record, 'default-1').steps.distribute.reason!
    expect(reason).toContain('build did not finish within 20 s (last seen: build status started, progress 50;')
    expect(reason).toContain('analysis-nodes: aggregator-1: approval approved, execution none yet, no artifact tag; default-1:')
  })

  it('names the failing node on an execution failure', async () => {
    const { record } = await play({ executionFailsOn: 'default-2' })
    expect(statuses(pairOf(record, 'default-1'))).toEqual(ALL_SUCCESS)
    const failing = pairOf(record, 'default-2')
    expect(failing.failedStep).toBe('execute')
    expect(failing.steps.execute.reason).toMatch(/^execution on default-2 ended with status failed, progress 100/)
  })

  it('times out an execution with per-node states', async () => {
    const { record } = await play({ executionMs: 10_000_000 }, { budgets: { ...roundSettings().budgets, execution: 30 } })
    const reason = pairOf(record, 'default-1').steps.execute.reason!
    expect(reason).toContain('execution did not finish within 30 s (analysis-nodes: aggregator-1: approval approved, execution executing (progress 50)')
  })

  it('fails upload when the CODE bucket never appears', async () => {
    const { record, hub } = await play({ bucketsMissing: true }, { budgets: { ...roundSettings().budgets, bucket: 8 } })
    const pair = pairOf(record, 'default-1')
    expect(pair.failedStep).toBe('upload')
    expect(pair.steps.upload.reason).toMatch(/^CODE bucket of analysis analysis-\d+ did not appear within 8 s \(buckets seen: none; storageCheck was sent\)$/)
    expect(hub.calls.filter((call) => call === 'command:storageCheck')).toHaveLength(2)
    expect(pair.cleanup).toBe('kept')
  })

  it('fails results on overall_success false', async () => {
    const resultTar = (ids: string[]) =>
      buildTar([{ path: 'result', content: payloadJson(Object.fromEntries(ids.map((id) => [id, 'ok'])), false) }])
    const { record } = await play({ resultTar })
    expect(pairOf(record, 'default-1').steps.results.reason).toBe('result payload "result" has overall_success false, expected true')
  })

  it('fails results over the size limit', async () => {
    const { record } = await play({}, { resultMaxBytes: 1024 })
    const reason = pairOf(record, 'default-1').steps.results.reason!
    expect(reason).toMatch(/^download of RESULT bucket bucket-RESULT-\d+ failed: GET \/buckets\/.*\/stream exceeded 1024 bytes$/)
  })

  it('fails latency over the limit but keeps the node passed', async () => {
    const { record, hub } = await play({}, { latencyLimit: 5 })
    const pair = pairOf(record, 'default-1')
    expect(pair.steps.results.status).toBe('success')
    expect(pair.steps.latency.status).toBe('failed')
    expect(pair.steps.latency.reason).toMatch(/^the pair took \d+\.\d s, over the 5 s latency limit$/)
    expect(pair.cleanup).toBe('deleted')
    expect(hub.analyses.size).toBe(0)
  })
})

describe('runRound keepAnalyses', () => {
  it('always keeps passed analyses', async () => {
    const { record, hub } = await play({}, { keepAnalyses: 'always' })
    expect(record.pairs.map((pair) => pair.cleanup)).toEqual(['kept', 'kept'])
    expect(hub.analyses.size).toBe(2)
  })

  it('never keeps failed analyses', async () => {
    const { record, hub } = await play({ buildStatusAtEnd: 'failed' }, { keepAnalyses: 'never' })
    expect(record.pairs.map((pair) => pair.cleanup)).toEqual(['deleted', 'deleted'])
    expect(hub.analyses.size).toBe(0)
  })

  it('records a failed delete', async () => {
    const error = hubError(500, 'DELETE /analyses/x failed with 500')
    const { record, warnings } = await play({ failures: { deleteAnalysis: { error } } })
    expect(record.pairs.map((pair) => pair.cleanup)).toEqual(['delete-failed', 'delete-failed'])
    expect(warnings.some((warning) => warning.startsWith('could not delete analysis'))).toBe(true)
  })
})

describe('runRound cancellation', () => {
  it('keeps finished steps and cleans up', async () => {
    const { record, hub, settled } = await play({}, {}, (_hub, clock, controller) => {
      // Upload takes about 1 s and the build 3 s, so 2.5 s is in the middle of distribute.
      void clock.sleep(2500).then(() => controller.abort(new Error('cancelled by SIGINT')))
    })
    expect(record.cancelled).toBe(true)
    for (const pair of record.pairs) {
      expect(pair.steps.upload.status).toBe('success')
      for (const key of ['distribute', 'execute', 'results', 'latency'] as const) {
        expect(pair.steps[key]).toEqual({ status: 'unknown', seconds: null, reason: 'cancelled' })
      }
      expect(pair.failedStep).toBeNull()
      expect(pair.cleanup).toBe('deleted')
    }
    expect(hub.analyses.size).toBe(0)
    expect(settled).toHaveLength(2)
  })

  it('bounds the clean-up when deletes hang', async () => {
    const { record, clock } = await play({}, {}, (fakeHub, fakeClock, controller) => {
      fakeHub.deleteAnalysis = () => new Promise<never>(() => {})
      void fakeClock.sleep(2500).then(() => controller.abort(new Error('cancelled by SIGINT')))
    })
    expect(record.pairs.map((pair) => pair.cleanup)).toEqual(['delete-failed', 'delete-failed'])
    expect(record.endedAt - record.startedAt).toBeLessThanOrEqual(2500 + 5000)
    expect(clock.now() - record.startedAt).toBeLessThanOrEqual(2500 + 5000)
  })

  it('marks login cancelled when aborted first', async () => {
    const { record, hub } = await play({}, {}, (_hub, _clock, controller) => controller.abort(new Error('cancelled by SIGTERM')))
    expect(record.cancelled).toBe(true)
    expect(record.login).toEqual({ status: 'unknown', seconds: null, reason: 'cancelled' })
    expect(record.pairs).toEqual([])
    expect(hub.count('createAnalysis')).toBe(0)
  })

  it('leaves pairs unknown during setup', async () => {
    const { record, hub } = await play({}, {}, (fakeHub, clock, controller) => {
      fakeHub.listMasterImages = (options) => clock.sleep(5000, options?.signal).then(() => [])
      void clock.sleep(1000).then(() => controller.abort(new Error('cancelled')))
    })
    expect(record.cancelled).toBe(true)
    expect(record.login.status).toBe('success')
    expect(record.setup).toMatchObject({ status: 'unknown', seconds: null, reason: 'cancelled' })
    for (const pair of record.pairs) {
      expect(pair.steps.upload).toEqual({ status: 'unknown', seconds: null, reason: 'cancelled' })
      expect(pair.failedStep).toBeNull()
      expect(pair.log).toEqual(['not run: the round was cancelled during the project setup'])
    }
    expect(hub.count('createAnalysis')).toBe(0)
  })

  it('leaves waiting pairs unknown', async () => {
    const { record } = await play({}, { maxParallel: 1 }, (_hub, clock, controller) => {
      void clock.sleep(2500).then(() => controller.abort(new Error('cancelled')))
    })
    const waiting = pairOf(record, 'default-2')
    expect(waiting.startedAt).toBeNull()
    expect(Object.values(waiting.steps).every((step) => step.status === 'unknown' && step.reason === 'cancelled')).toBe(true)
    expect(waiting.cleanup).toBe('none')
    expect(waiting.log).toEqual(['not run: the round was cancelled before this pair started'])
  })
})
