// Shared state of one simulator instance: options, world, faults, timers, tokens and per-analysis timings.

import type { FaultSpec, NodeFaults } from './faults.js'
import { TokenService } from './auth.js'
import { ExecutionManager } from './execution.js'
import { Scheduler } from './scheduler.js'
import type { WireEra } from './wire.js'
import { HubWorld, type NodeEntity, type UserEntity } from './world.js'
import { randomUUID } from 'node:crypto'

/**
 * Default phase delays in simulated seconds. Together they make a healthy pair round take about 85 s at
 * time scale 1. Each phase stays well inside the budget of the Python health check on staging: 60 s for
 * buckets and mirroring, 120 s each for build and distribution, and 240 s for execution.
 */
export const phaseSeconds = {
  bucket: 2,
  mirror: 1.5,
  buildQueue: 3,
  build: 27,
  distributionQueue: 2,
  distribution: 18,
  autostart: 15,
  podStart: 3,
  podReady: 2,
  /** Minimum time a node stays `executing`, so a fast script still looks like a pod run. */
  execution: 12
}

/** Progress updates the worker sends while building or distributing. */
export const PROGRESS_STEPS = 5

export interface RuntimeSettings {
  era: WireEra
  timeScale: number
  username: string
  password: string
  tokenLifetimeSeconds: number
  extraNodes: number
  rateLimitPerMinute: number
  python: string
  /** Deadline in real seconds for every wait inside a node's python run. The run is killed 5 s later. */
  executionTimeoutSeconds: number
  /** Analyses whose python runs may be active at once; later ones wait with their nodes `executing`. */
  maxConcurrentAnalyses: number
  log: (line: string) => void
}

/** Phase durations of one analysis in real milliseconds, the terms of inherentSeconds(). */
export interface AnalysisTiming {
  createdAt: number
  bucketMs?: number
  mirrorMs?: number
  buildStartedAt?: number
  buildMs?: number
  distributionStartedAt?: number
  distributionMs?: number
  distributedAt?: number
  resultAt?: number
  /** When the last analysis-node reported `executed`; the minimum execution time can put it after resultAt. */
  executedAt?: number
}

export class HubRuntime {
  readonly world = new HubWorld()
  readonly scheduler: Scheduler
  readonly tokens: TokenService
  readonly timings = new Map<string, AnalysisTiming>()
  readonly executions: ExecutionManager
  readonly user: UserEntity
  faults: FaultSpec = {}
  private readonly originalRegistries = new Map<string, string | null>()

  constructor(
    readonly settings: RuntimeSettings,
    faults: FaultSpec,
    tokenLifetimeSeconds: number
  ) {
    this.scheduler = new Scheduler(settings.timeScale, (error) => settings.log(`simulator task failed: ${String(error)}`))
    this.tokens = new TokenService(this.world, {
      lifetimeSeconds: () => tokenLifetimeSeconds,
      faults: () => this.faults,
      timeScale: settings.timeScale
    })

    this.executions = new ExecutionManager(
      settings.python,
      settings.executionTimeoutSeconds,
      settings.maxConcurrentAnalyses,
      (entry) => this.world.analysisNodeLogs.push(entry),
      (line) => this.log(line)
    )

    this.user = {
      id: randomUUID(),
      name: settings.username,
      password: settings.password,
      realmId: this.world.realmId,
      realmName: this.world.realmName
    }
    this.world.users.set(this.user.id, this.user)

    this.world.addNode('aggregator-1', 'aggregator', true)
    this.world.addNode('default-1', 'default', true)
    this.world.addNode('default-2', 'default', true)
    for (let index = 3; index < 3 + settings.extraNodes; index++) this.world.addNode(`default-${index}`, 'default', true)
    for (const node of this.world.nodes.values()) this.originalRegistries.set(node.id, node.registryId)

    // `python/base` sorts first by path, so a client that takes the first image gets it.
    this.world.addMasterImage('python/base')
    this.world.addMasterImage('python/use-cases/fedstats')

    this.setFaults(faults)
  }

  /** Replaces the fault knobs and applies the ones that change the world at once (online, registries). */
  setFaults(faults: FaultSpec): void {
    const unknown = Object.keys(faults.nodes ?? {}).filter((name) => this.world.nodeByName(name) === undefined)
    if (unknown.length > 0) {
      const known = [...this.world.nodes.values()].map((node) => node.name).join(', ')
      throw new Error(`Unknown node "${unknown.join('", "')}" in the faults: the simulated nodes are ${known}.`)
    }
    this.faults = faults
    for (const node of this.world.nodes.values()) {
      const knobs = this.nodeFaults(node)
      node.online = knobs.online ?? false
      node.registryId = knobs.noRegistry === true ? null : (this.originalRegistries.get(node.id) ?? null)
    }
  }

  nodeFaults(node: NodeEntity): NodeFaults {
    return this.faults.nodes?.[node.name] ?? {}
  }

  /** Returns the factor for every phase delay on top of the time scale (global and per-node slowness). */
  phaseFactor(node?: NodeEntity): number {
    const global = this.faults.slowFactor ?? 1
    return node === undefined ? global : global * (this.nodeFaults(node).slowFactor ?? 1)
  }

  timing(analysisId: string): AnalysisTiming {
    let timing = this.timings.get(analysisId)
    if (timing === undefined) {
      timing = { createdAt: performance.now() }
      this.timings.set(analysisId, timing)
    }
    return timing
  }

  log(line: string): void {
    this.settings.log(line)
  }
}
