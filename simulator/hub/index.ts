// The FLAME Hub simulator: auth (Authup), core and storage on one local HTTP server, in the wire format
// of Hub 0.12.7 (era e3) or 0.14.0 (era e4), with analyses that really run python3 per node.

import { availableParallelism } from 'node:os'

import { getScenario, mergeFaults, type FaultSpec } from './faults.js'
import { HubRuntime } from './runtime.js'
import { HubServer, type RequestStats } from './server.js'
import type { HubWorld } from './world.js'

export type { FaultSpec, NodeFaults, BurstSpec, Scenario, ApprovalSetting } from './faults.js'
export { scenarios, scenarioNames, getScenario, parseFault, mergeFaults, faultUsage } from './faults.js'
export type { RequestStats } from './server.js'
export type * from './world.js'
export { FLAME_SDK_DIR } from './execution.js'
export { phaseSeconds } from './runtime.js'

export const ERA_VERSIONS = { e3: '0.12.7', e4: '0.14.0' } as const

export interface HubSimulatorOptions {
  /** Wire era: e3 reports version 0.12.7 (snake_case, bare records), e4 reports 0.14.0 (camelCase, envelopes). Default e4. */
  era?: 'e3' | 'e4'
  /** Port on 127.0.0.1. The default 0 picks a free one. */
  port?: number
  /** Factor for every simulated delay (default 1). At 0.01 an 85 s round takes under a second plus python time. */
  timeScale?: number
  /** Named scenario from `scenarios` (default 'healthy'). */
  scenario?: string
  /** Extra knobs merged over the scenario's. */
  faults?: FaultSpec
  username?: string
  password?: string
  /** Access-token lifetime in real seconds, reported as expires_in. Default 900 (Authup beta.52 and later). */
  tokenLifetimeSeconds?: number
  /** Adds default nodes default-3 … default-(2+N), each with a registry. */
  extraNodes?: number
  /** Requests per user per 60 s before 429. Default 6000 (the Hub's user limit), and 0 disables the limit. */
  rateLimitPerMinute?: number
  /** Python interpreter for the node runs (default 'python3'). */
  python?: string
  /** Deadline in real seconds for waits inside a python run. Default max(10, 300 × timeScale). */
  executionTimeoutSeconds?: number
  /**
   * Analyses whose python runs may be active at once (default 2 × the CPU count, at least 4). Each pair
   * analysis starts two interpreters, so this bounds memory and CPU in scale tests; waiting time counts as
   * Hub time in inherentSeconds().
   */
  maxConcurrentAnalyses?: number
  /** Real milliseconds added to every request before it is handled (default 0). Not scaled by timeScale. */
  latencyMs?: number
  /** Receives one debug line per request (method, path, status, ms) and every error the simulator handles. */
  log?: (line: string) => void
}

export interface HubSimulator {
  /** http://127.0.0.1:PORT */
  url: string
  /** url + '/auth/', '/core/' and '/storage/', each with its trailing slash. */
  authUrl: string
  coreUrl: string
  storageUrl: string
  username: string
  password: string
  era: 'e3' | 'e4'
  scenario: string
  stats(): RequestStats
  resetStats(): void
  /**
   * Hub-side time on each analysis's critical path, keyed by analysis id and kept after deletion, in
   * real-scale seconds: the wall-clock path divided by timeScale, so it compares with a round's wall time
   * divided by timeScale. The path is the CODE bucket delay, the mirror delay of the uploaded files, and the
   * build and distribution durations. It ends with the time from distribution end to the later of the RESULT
   * file and the last analysis-node reporting `executed` (autostart, pod start, the real python runs, the
   * minimum execution time). A phase that has not happened counts as zero.
   */
  inherentSeconds(): Record<string, number>
  /** The same critical path in wall-clock seconds (not divided by timeScale). */
  inherentWallSeconds(): Record<string, number>
  /** The live state, for tests: nodes, projects, analyses, buckets and files. */
  world: HubWorld
  /** Every access and refresh token the auth service issued, so tests can check that none leaked. */
  issuedTokens(): string[]
  /** Replaces the extra knobs: the scenario's faults stay underneath, `faults` is merged over them. */
  setFaults(faults: FaultSpec): void
  /** Stops the server, cancels pending work and kills every python run (by PID). */
  stop(): Promise<void>
}

function criticalPathSeconds(runtime: HubRuntime, divisor: number): Record<string, number> {
  const result: Record<string, number> = {}
  for (const [id, timing] of runtime.timings) {
    // A client sees the pair finished only when both nodes report executed and the result exists.
    const finishedAt = Math.max(timing.resultAt ?? 0, timing.executedAt ?? 0)
    const tail = timing.resultAt !== undefined && timing.distributedAt !== undefined ? finishedAt - timing.distributedAt : 0
    const wallMs = (timing.bucketMs ?? 0) + (timing.mirrorMs ?? 0) + (timing.buildMs ?? 0) + (timing.distributionMs ?? 0) + tail
    result[id] = wallMs / 1000 / divisor
  }
  return result
}

function checkNumber(name: string, value: number, minimum: number, fix: string): number {
  if (!Number.isFinite(value) || value < minimum) {
    throw new Error(`Invalid ${name} ${String(value)}: ${fix}.`)
  }
  return value
}

export async function startHubSimulator(options: HubSimulatorOptions = {}): Promise<HubSimulator> {
  const era = options.era ?? 'e4'
  if (era !== 'e3' && era !== 'e4') throw new Error(`Invalid era "${String(era)}": use e3 or e4.`)
  const timeScale = checkNumber('timeScale', options.timeScale ?? 1, Number.MIN_VALUE, 'use a positive number such as 0.01')
  const scenarioName = options.scenario ?? 'healthy'
  const scenario = getScenario(scenarioName)
  const extraNodes = checkNumber('extraNodes', options.extraNodes ?? 0, 0, 'use 0 or more')
  const lifetime = checkNumber('tokenLifetimeSeconds', options.tokenLifetimeSeconds ?? scenario.tokenLifetimeSeconds ?? 900, 1, 'use 1 or more seconds')
  const rateLimit = checkNumber('rateLimitPerMinute', options.rateLimitPerMinute ?? 6000, 0, 'use 0 (off) or more')
  const port = checkNumber('port', options.port ?? 0, 0, 'use 0 (any free port) or a port number')
  const log = options.log ?? (() => undefined)

  const runtime = new HubRuntime(
    {
      era,
      timeScale,
      username: options.username ?? 'health-check',
      password: options.password ?? 'health-check-password',
      tokenLifetimeSeconds: lifetime,
      extraNodes: Math.floor(extraNodes),
      rateLimitPerMinute: rateLimit,
      python: options.python ?? 'python3',
      executionTimeoutSeconds: options.executionTimeoutSeconds ?? Math.max(10, 300 * timeScale),
      maxConcurrentAnalyses: Math.floor(
        checkNumber('maxConcurrentAnalyses', options.maxConcurrentAnalyses ?? Math.max(4, 2 * availableParallelism()), 1, 'use 1 or more')
      ),
      log
    },
    mergeFaults(scenario.faults, options.faults ?? {}),
    lifetime
  )
  const latencyMs = checkNumber('latencyMs', options.latencyMs ?? 0, 0, 'use 0 or more milliseconds')
  const server = new HubServer(runtime, ERA_VERSIONS[era], rateLimit, latencyMs)
  const boundPort = await server.listen(port)
  const url = `http://127.0.0.1:${boundPort}`
  log(`hub simulator listening on ${url} (era ${era}, scenario ${scenarioName}, time scale ${timeScale})`)

  let stopped = false
  return {
    url,
    authUrl: `${url}/auth/`,
    coreUrl: `${url}/core/`,
    storageUrl: `${url}/storage/`,
    username: runtime.user.name,
    password: runtime.user.password,
    era,
    scenario: scenarioName,
    stats: () => server.getStats(),
    resetStats: () => server.resetStats(),
    inherentSeconds: () => criticalPathSeconds(runtime, timeScale),
    inherentWallSeconds: () => criticalPathSeconds(runtime, 1),
    world: runtime.world,
    issuedTokens: () => runtime.tokens.issuedTokens(),
    setFaults: (faults) => runtime.setFaults(mergeFaults(scenario.faults, faults)),
    stop: async () => {
      if (stopped) return
      stopped = true
      runtime.scheduler.stop()
      runtime.executions.stop()
      await server.close()
      log('hub simulator stopped')
    }
  }
}
