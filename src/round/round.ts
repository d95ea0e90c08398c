// The round: version probe and login, node split and pre-checks, project setup, the pairs
// in parallel, and a clean-up summary. It returns a RoundRecord in every case that is not
// a programming error: a Hub outage and a cancellation are data in the record.

import { getMaxListeners, setMaxListeners } from 'node:events'

import { systemClock, type Clock } from '../clock.js'
import type { HubApi } from '../hub/api.js'
import { HubError } from '../hub/errors.js'
import type { HubNode } from '../hub/model.js'
import { formatSeconds } from './describe.js'
import { describeError, StepFailure } from './failure.js'
import { decideOnlineFlagUse, findNode, precheckNode, splitNodes } from './nodes.js'
import { CANCELLED, markUnknownFrom, newPairRecord, runPair } from './pair.js'
import { callWithin } from './poll.js'
import type { PairRecord, RoundRecord } from './record.js'
import type { RoundSettings } from './settings.js'
import { setUpProject } from './setup.js'

export type RoundPhase = 'login' | 'setup' | 'pairs' | 'cleanup'

export interface RoundLog {
  info(message: string): void
  debug(message: string): void
  warning(message: string): void
}

export interface RunRoundInput {
  hub: HubApi
  settings: RoundSettings
  clock?: Clock
  /** Aborting it cancels the round; the record still comes back, with `cancelled: true`. */
  signal?: AbortSignal
  /** Stored in the record for links to the Hub. */
  coreUrl: string
  log?: RoundLog
  /**
   * Receives the lines of each phase once the phase ends. Without it the lines go to
   * `log.info`. Warnings also go to `log.warning` as they happen.
   */
  onPhase?: (phase: RoundPhase, lines: string[]) => void
  /** Called once per pair when it settles (run, pre-check failed, stopped by setup or cancelled). */
  onPairSettled?: (pair: PairRecord) => void
}

const silentLog: RoundLog = { info: () => {}, debug: () => {}, warning: () => {} }

/** Run one health-check round against the Hub and describe what happened. */
export async function runRound(input: RunRoundInput): Promise<RoundRecord> {
  const clock = input.clock ?? systemClock
  const log = input.log ?? silentLog
  const record = newRoundRecord(input, clock.now())
  const round = new RoundRun(input, clock, log, record)

  try {
    await round.run()
  } finally {
    record.cancelled = input.signal?.aborted === true
    record.endedAt = clock.now()
  }
  return record
}

function newRoundRecord(input: RunRoundInput, startedAt: number): RoundRecord {
  return {
    startedAt,
    endedAt: startedAt,
    hub: { coreUrl: input.coreUrl, version: null, era: null },
    login: { status: 'unknown', seconds: null },
    setup: {
      status: 'unknown',
      seconds: null,
      projectId: null,
      projectName: input.settings.project,
      masterImage: null,
      staleAnalysesDeleted: 0
    },
    aggregator: null,
    pairs: [],
    onlineFlagNote: null,
    misconfiguration: null,
    cancelled: false,
    notes: []
  }
}

class RoundRun {
  private lines: string[] = []
  private readonly hub: HubApi
  private readonly settings: RoundSettings
  private readonly signal: AbortSignal | undefined

  constructor(
    private readonly input: RunRoundInput,
    private readonly clock: Clock,
    private readonly log: RoundLog,
    private readonly record: RoundRecord
  ) {
    this.hub = input.hub
    this.settings = input.settings
    this.signal = input.signal
  }

  async run(): Promise<void> {
    const hubNodes = await this.phase('login', () => this.logIn())
    if (hubNodes === null) return

    const split = splitNodes(this.settings.nodes, hubNodes)
    if (!split.ok) {
      this.record.misconfiguration = split.misconfiguration
      this.record.setup.status = 'failed'
      this.record.setup.reason = `the configured nodes cannot form a round: ${split.misconfiguration}`
      await this.phase('setup', async () => this.warn(this.record.setup.reason!))
      return
    }

    const aggregator = split.aggregator
    this.record.aggregator = { name: aggregator.name, id: aggregator.id }
    const runnable = await this.phase('setup', async () => {
      this.precheck(aggregator, split.computeNames, hubNodes)
      return this.setUp(aggregator, hubNodes)
    })

    await this.phase('pairs', () => this.runPairs(aggregator, runnable, hubNodes))
    await this.phase('cleanup', async () => this.summarizeCleanup())
  }

  /** Run a phase body, then hand its lines to onPhase (or log.info). */
  private async phase<T>(name: RoundPhase, body: () => Promise<T>): Promise<T> {
    this.lines = []
    try {
      return await body()
    } finally {
      const lines = this.lines
      if (this.input.onPhase !== undefined) this.input.onPhase(name, lines)
      else for (const line of lines) this.log.info(line)
    }
  }

  private line(text: string): void {
    this.lines.push(text)
    this.log.debug(text)
  }

  private warn(text: string): void {
    this.lines.push(text)
    this.log.warning(text)
  }

  /** The version probe, then the timed login step: password grant and listing all nodes. */
  private async logIn(): Promise<HubNode[] | null> {
    const { record, hub, signal } = this

    // The probe is not part of the login step's time, but it gets the same limit, so an
    // unreachable Hub fails the round within the login budget instead of the client's retries.
    const budget = this.settings.budgets.login
    try {
      const probeTimeout = `version probe of ${record.hub.coreUrl} did not answer within ${budget} s`
      const version = await callWithin(this.clock, budget * 1000, signal, probeTimeout, (callSignal) =>
        hub.detectVersion({ signal: callSignal })
      )
      record.hub.version = version.version
      record.hub.era = version.era
      this.line(`Hub ${version.version} at ${record.hub.coreUrl} (wire era ${version.era})`)
    } catch (error) {
      const reason =
        error instanceof StepFailure ? error.message : `version probe of ${record.hub.coreUrl} failed: ${describeError(error)}`
      this.stopAtLogin(error, reason, null)
      return null
    }

    const start = this.clock.now()
    try {
      const loginTimeout = `login did not finish within the ${budget} s budget (password grant and node listing)`
      const nodes = await callWithin(this.clock, budget * 1000, signal, loginTimeout, async (callSignal) => {
        await hub.login({ signal: callSignal })
        return hub.listNodes({ signal: callSignal })
      })
      const seconds = (this.clock.now() - start) / 1000

      if (nodes.length === 0) throw new StepFailure('the Hub lists no nodes')
      if (seconds > budget) throw new StepFailure(`login took ${seconds.toFixed(1)} s, over the ${budget} s budget`)
      record.login = { status: 'success', seconds }
      this.line(`logged in and listed ${nodes.length} nodes in ${formatSeconds(seconds * 1000)}`)
      return nodes
    } catch (error) {
      this.stopAtLogin(error, describeError(error), (this.clock.now() - start) / 1000)
      return null
    }
  }

  private stopAtLogin(error: unknown, reason: string, seconds: number | null): void {
    if (this.signal?.aborted) {
      this.record.login = { status: 'unknown', seconds: null, reason: CANCELLED }
      this.record.setup.reason = CANCELLED
      this.line('login cancelled')
      return
    }
    if (!(error instanceof StepFailure) && !(error instanceof HubError)) throw error
    this.record.login = { status: 'failed', seconds, reason }
    this.warn(`login failed: ${reason}`)
  }

  /** Create a pair record per compute name and record the pre-check outcome of each. */
  private precheck(aggregator: HubNode, computeNames: string[], hubNodes: HubNode[]): void {
    const onlineFlag = decideOnlineFlagUse(this.settings.precheck, hubNodes)
    this.record.onlineFlagNote = onlineFlag.note
    this.line(onlineFlag.note)
    this.line(`aggregator: ${aggregator.name} (${aggregator.id})`)
    if (aggregator.registryId === null) {
      this.record.notes.push(`aggregator ${aggregator.name} has no registry assigned, so distribution will fail`)
    }

    for (const name of computeNames) {
      const node = findNode(hubNodes, name)
      const outcome = precheckNode(name, node, onlineFlag.required)
      const pair = newPairRecord(name, node?.id ?? null, outcome)
      if (!outcome.passed) pair.log.push(`pre-check failed, no analysis run: ${outcome.reason}`)
      this.record.pairs.push(pair)
      this.line(outcome.passed ? `pre-check passed: ${name}` : `pre-check failed: ${outcome.reason}`)
    }
  }

  /** Run the project setup for the pairs that passed the pre-check; returns the pairs that may run. */
  private async setUp(aggregator: HubNode, hubNodes: HubNode[]): Promise<PairRecord[]> {
    const { record, signal } = this
    const runnable = record.pairs.filter((pair) => pair.precheck.passed)
    if (runnable.length === 0) {
      record.setup.reason = 'no compute node passed the pre-check, so the project was not set up'
      this.line(record.setup.reason)
      return []
    }

    const members = [aggregator, ...runnable.map((pair) => hubNodes.find((node) => node.id === pair.nodeId)!)]
    const start = this.clock.now()
    try {
      const result = await setUpProject({
        hub: this.hub,
        clock: this.clock,
        signal,
        projectName: this.settings.project,
        masterImage: this.settings.masterImage,
        staleAfter: this.settings.staleAfter,
        members,
        log: (line) => this.line(line),
        warn: (line) => this.warn(line)
      })
      Object.assign(record.setup, {
        status: 'success',
        seconds: (this.clock.now() - start) / 1000,
        projectId: result.project.id,
        masterImage: { id: result.masterImage.id, virtualPath: result.masterImage.virtualPath },
        staleAnalysesDeleted: result.staleAnalysesDeleted
      })
      record.notes.push(...result.notes)
      this.line(`project ${result.project.name} (${result.project.id}) ready in ${formatSeconds(this.clock.now() - start)}`)
      return runnable
    } catch (error) {
      this.stopAtSetup(error, runnable, (this.clock.now() - start) / 1000)
      return []
    }
  }

  /** Fail every runnable pair's upload after a failed setup, or leave the pairs unknown after a cancellation. */
  private stopAtSetup(error: unknown, runnable: PairRecord[], seconds: number): void {
    const { record } = this
    if (this.signal?.aborted) {
      Object.assign(record.setup, { status: 'unknown', seconds: null, reason: CANCELLED })
      for (const pair of runnable) {
        markUnknownFrom(pair, 'upload', CANCELLED)
        pair.log.push('not run: the round was cancelled during the project setup')
      }
      this.line('setup cancelled')
      return
    }
    if (!(error instanceof StepFailure) && !(error instanceof HubError)) throw error

    const reason = describeError(error)
    Object.assign(record.setup, { status: 'failed', seconds, reason })
    for (const pair of runnable) {
      pair.steps.upload = { status: 'failed', seconds: null, reason: `project setup failed: ${reason}` }
      pair.failedStep = 'upload'
      pair.log.push(`not run: project setup failed: ${reason}`)
    }
    this.warn(`project setup failed: ${reason}`)
  }

  private async runPairs(aggregator: HubNode, runnable: PairRecord[], hubNodes: HubNode[]): Promise<void> {
    const { record, settings } = this
    const settle = (pair: PairRecord): void => this.input.onPairSettled?.(pair)
    for (const pair of record.pairs.filter((candidate) => !runnable.includes(candidate))) settle(pair)
    if (runnable.length === 0) return

    const limit = settings.maxParallel === 0 ? runnable.length : Math.min(settings.maxParallel, runnable.length)
    this.line(`running ${runnable.length} pairs, ${limit} at a time`)
    // Every running pair and each of its waits listen on the round's signal; Node's default of
    // 10 listeners would warn about a leak from 11 pairs on.
    if (this.signal !== undefined) setMaxListeners(Math.max(getMaxListeners(this.signal), limit * 4 + 10), this.signal)
    const nodeNames = new Map(hubNodes.map((node) => [node.id, node.name]))

    await forEachLimited(runnable, limit, async (pair) => {
      if (this.signal?.aborted) {
        markUnknownFrom(pair, 'upload', CANCELLED)
        pair.log.push('not run: the round was cancelled before this pair started')
      } else {
        await runPair(
          {
            hub: this.hub,
            clock: this.clock,
            signal: this.signal,
            settings,
            aggregator: { name: aggregator.name, id: aggregator.id, hasRegistry: aggregator.registryId !== null },
            node: { name: pair.node, id: pair.nodeId! },
            projectId: record.setup.projectId!,
            masterImageId: record.setup.masterImage!.id,
            nodeNames
          },
          pair
        )
      }
      this.line(`${pair.node}: ${pairOutcome(pair)}`)
      settle(pair)
    })
  }

  private summarizeCleanup(): void {
    const pairs = this.record.pairs
    const count = (state: PairRecord['cleanup']): PairRecord[] => pairs.filter((pair) => pair.cleanup === state)

    const deleted = count('deleted')
    const kept = count('kept')
    const failed = count('delete-failed')
    this.line(`analyses deleted: ${deleted.length}, kept: ${kept.length} (keep-analyses: ${this.settings.keepAnalyses})`)
    for (const pair of kept) this.line(`kept analysis ${pair.analysisId} of ${pair.node} for inspection`)
    for (const pair of failed) {
      this.warn(`could not delete analysis ${pair.analysisId} of ${pair.node}; the next round deletes it once it is older than ${this.settings.staleAfter} s`)
    }
  }
}

function pairOutcome(pair: PairRecord): string {
  if (pair.failedStep !== null) return `failed at ${pair.failedStep}: ${pair.steps[pair.failedStep].reason ?? ''}`
  if (pair.steps.latency.status === 'success') return `passed in ${pair.latencySeconds?.toFixed(1)} s`
  const stopped = Object.entries(pair.steps).find(([, step]) => step.reason !== undefined)
  return stopped === undefined ? 'not run' : `${stopped[0]} ${stopped[1].status}: ${stopped[1].reason}`
}

/** Run `task` for every item with at most `limit` running at once. */
async function forEachLimited<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next]!
      next += 1
      await task(item)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker))
}
