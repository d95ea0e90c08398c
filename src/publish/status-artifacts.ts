// The published status artifacts: `status.json` (shaped like Atlassian Statuspage's
// /api/v2/summary.json), SVG badges and shields.io endpoint files, all computed from the
// history logs alone. The status page (docs-template/js/rules.js) implements the same round
// and window rules in plain JavaScript; a browser test checks that both agree.

import { posix } from 'node:path'

import { makeBadge } from 'badge-maker'

import { parseLog, type HistoryEntry, type LineStatus } from '../history/format.js'
import { overallStatus, STEP_KEYS, type KeyStatuses, type OverallStatus, type StepKey } from '../verdict/overall.js'
import type { ChangeSet } from './changeset.js'

/** The overall status, plus `no_data` when no round lies inside the lookback window. */
export type PageStatus = OverallStatus | 'no_data'

/** Statuspage component statuses (`under_maintenance` is never produced here). */
export type ComponentStatus = 'operational' | 'degraded_performance' | 'partial_outage' | 'major_outage'

export type UptimeWindow = '24h' | '7d' | '30d'
export const UPTIME_WINDOWS: readonly UptimeWindow[] = ['24h', '7d', '30d']

const MINUTE_MS = 60_000
const HOUR_MS = 60 * MINUTE_MS
const DAY_MS = 24 * HOUR_MS

export const STEP_LABELS: Record<StepKey, string> = {
  login: 'Login',
  upload: 'Code upload',
  distribute: 'Build and distribution',
  execute: 'Execution',
  results: 'Results',
  latency: 'End-to-end latency'
}

export interface StatusArtifactsOptions {
  /** Repository-relative log directory, e.g. `docs/logs`; the artifacts go into its parent. */
  logDir: string
  /** Configured node names in order, the aggregator included. */
  nodes: readonly string[]
  /** Name of the aggregator node; null when the round could not determine it. */
  aggregator: string | null
  /** Milliseconds since the epoch at which the artifacts are computed. */
  now: number
  /** A round older than this is not used for the overall status (default 60 min, two expected intervals). */
  lookbackMinutes?: number
  /** Latency runs above this many seconds count as slow (default 600, the action's `latency-limit`). */
  latencyLimitSeconds?: number
  /** `page.name` in status.json and the overall badge's label. */
  title?: string
}

export interface RoundStatuses {
  /** The round's timestamp (its start, minute precision). */
  timestamp: Date
  statuses: KeyStatuses
}

export interface UptimeFigure {
  /** Successful runs over checked runs, in percent with 2 decimals; null when nothing was checked. */
  percent: number | null
  /** Runs with a known result (success or failed). */
  checked: number
  /** Runs logged as `unknown`: shown as "no data" and excluded from `percent`. */
  noData: number
}

export interface ComponentSummary {
  id: string
  name: string
  group: 'steps' | 'nodes'
  status: ComponentStatus
  lastRun: { at: string; status: LineStatus; seconds: number | null } | null
  uptime: Record<UptimeWindow, UptimeFigure>
}

export interface StatusSummary {
  status: PageStatus
  lastRunAt: string | null
  components: ComponentSummary[]
}

/** Report key of a node's log file. */
export function nodeKey(node: string): string {
  return `node_${node}`
}

/** Repository-relative path of a key's log file. */
export function logPath(logDir: string, key: string): string {
  return posix.join(logDir, `${key}_report.log`)
}

/** Directory that receives status.json and badges/: the parent of the log directory. */
export function artifactRoot(logDir: string): string {
  return posix.dirname(posix.normalize(logDir))
}

/**
 * Finds the newest round inside the lookback window and the statuses it logged. A round is
 * the set of lines sharing one timestamp. A step without a line at that timestamp counts as
 * `unknown`; a node without one did not take part and is left out. Lines after `now` are ignored.
 */
export function latestRound(
  entriesByKey: ReadonlyMap<string, readonly HistoryEntry[]>,
  nodes: readonly string[],
  aggregator: string | null,
  now: number,
  lookbackMinutes: number
): RoundStatuses | null {
  let newest = -Infinity
  for (const entries of entriesByKey.values()) {
    for (const entry of entries) {
      const time = entry.timestamp.getTime()
      if (time <= now && time > newest) newest = time
    }
  }
  if (!Number.isFinite(newest) || now - newest > lookbackMinutes * MINUTE_MS) return null

  const statusAt = (key: string): LineStatus | undefined => {
    const entries = entriesByKey.get(key) ?? []
    for (let index = entries.length - 1; index >= 0; index--) {
      if (entries[index]!.timestamp.getTime() === newest) return entries[index]!.status
    }
    return undefined
  }

  const steps = {} as Record<StepKey, LineStatus>
  for (const key of STEP_KEYS) steps[key] = statusAt(key) ?? 'unknown'

  const nodeStatuses: Record<string, LineStatus> = {}
  for (const node of nodes) {
    const status = statusAt(nodeKey(node))
    if (status !== undefined) nodeStatuses[node] = status
  }

  return { timestamp: new Date(newest), statuses: { steps, nodes: nodeStatuses, aggregator } }
}

/** Start of a window that ends at `now`: whole UTC hours for 24h, whole UTC calendar days otherwise. */
export function windowStart(window: UptimeWindow, now: number): number {
  if (window === '24h') return Math.floor(now / HOUR_MS) * HOUR_MS - 23 * HOUR_MS
  const days = window === '7d' ? 7 : 30
  return Math.floor(now / DAY_MS) * DAY_MS - (days - 1) * DAY_MS
}

/**
 * Returns whether one run passed. For the latency key a run passes when it succeeded within the
 * latency limit; `unknown` lines are neither.
 */
export function runPassed(key: string, entry: HistoryEntry, latencyLimitSeconds: number): boolean | null {
  if (entry.status === 'unknown') return null
  if (entry.status === 'failed') return false
  if (key === 'latency' && entry.seconds !== null && entry.seconds > latencyLimitSeconds) return false
  return true
}

/** Uptime of one key over [windowStart, now], unknown runs excluded and counted separately. */
export function uptime(
  key: string,
  entries: readonly HistoryEntry[],
  window: UptimeWindow,
  now: number,
  latencyLimitSeconds: number
): UptimeFigure {
  const start = windowStart(window, now)
  let passed = 0
  let checked = 0
  let noData = 0
  for (const entry of entries) {
    const time = entry.timestamp.getTime()
    if (time < start || time > now) continue
    const result = runPassed(key, entry, latencyLimitSeconds)
    if (result === null) noData++
    else {
      checked++
      if (result) passed++
    }
  }
  const percent = checked === 0 ? null : Math.round((passed / checked) * 10_000) / 100
  return { percent, checked, noData }
}

/** Maps a key's line in the latest round to a Statuspage component status. */
function componentStatus(key: string, entry: HistoryEntry | null, latencyLimitSeconds: number): ComponentStatus {
  // A component without a verdict (no line in the round, or `unknown`) is not shown as
  // operational, but not as a full outage either, because the check could not reach it.
  if (entry === null || entry.status === 'unknown') return 'partial_outage'
  const passed = runPassed(key, entry, latencyLimitSeconds)
  if (passed) return 'operational'
  return key === 'latency' ? 'degraded_performance' : 'major_outage'
}

/** Computes the overall status, last run time, and per-key status and uptime from the logs. */
export function buildStatusSummary(
  logs: ReadonlyMap<string, string | null>,
  options: StatusArtifactsOptions
): StatusSummary {
  const lookbackMinutes = options.lookbackMinutes ?? 60
  const latencyLimitSeconds = options.latencyLimitSeconds ?? 600

  const entriesByKey = new Map<string, HistoryEntry[]>()
  for (const [key, content] of logs) entriesByKey.set(key, parseLog(content ?? '').entries)

  const round = latestRound(entriesByKey, options.nodes, options.aggregator, options.now, lookbackMinutes)
  const status: PageStatus = round === null ? 'no_data' : overallStatus(round.statuses)

  const keys: { key: string; name: string; group: 'steps' | 'nodes' }[] = [
    ...STEP_KEYS.map((key) => ({ key, name: STEP_LABELS[key], group: 'steps' as const })),
    ...options.nodes.map((node) => ({ key: nodeKey(node), name: node, group: 'nodes' as const }))
  ]

  const components = keys.map(({ key, name, group }): ComponentSummary => {
    const entries = entriesByKey.get(key) ?? []
    const inRound = round === null ? null : lineAt(entries, round.timestamp.getTime())
    const last = latestEntry(entries, options.now)
    const uptimes = {} as Record<UptimeWindow, UptimeFigure>
    for (const window of UPTIME_WINDOWS) uptimes[window] = uptime(key, entries, window, options.now, latencyLimitSeconds)
    return {
      id: key,
      name,
      group,
      status: componentStatus(key, inRound, latencyLimitSeconds),
      lastRun: last === null ? null : { at: last.timestamp.toISOString(), status: last.status, seconds: last.seconds },
      uptime: uptimes
    }
  })

  return { status, lastRunAt: round === null ? null : round.timestamp.toISOString(), components }
}

function lineAt(entries: readonly HistoryEntry[], time: number): HistoryEntry | null {
  for (let index = entries.length - 1; index >= 0; index--) {
    if (entries[index]!.timestamp.getTime() === time) return entries[index]!
  }
  return null
}

function latestEntry(entries: readonly HistoryEntry[], now: number): HistoryEntry | null {
  let latest: HistoryEntry | null = null
  for (const entry of entries) {
    const time = entry.timestamp.getTime()
    if (time <= now && (latest === null || time >= latest.timestamp.getTime())) latest = entry
  }
  return latest
}

const STATUS_WORDING: Record<PageStatus, { indicator: string; description: string; badge: string; color: string }> = {
  operational: { indicator: 'none', description: 'All Systems Operational', badge: 'operational', color: 'brightgreen' },
  degraded: { indicator: 'minor', description: 'Degraded Performance', badge: 'degraded', color: 'yellow' },
  partial_outage: { indicator: 'major', description: 'Partial System Outage', badge: 'partial outage', color: 'orange' },
  major_outage: { indicator: 'critical', description: 'Major System Outage', badge: 'major outage', color: 'red' },
  // Statuspage has no "unknown" indicator; a missing health check is reported as a major problem.
  no_data: { indicator: 'major', description: 'No Recent Health Check Data', badge: 'no data', color: 'lightgrey' }
}

const NODE_BADGE: Record<ComponentStatus, { message: string; color: string }> = {
  operational: { message: 'up', color: 'brightgreen' },
  degraded_performance: { message: 'slow', color: 'yellow' },
  partial_outage: { message: 'unknown', color: 'lightgrey' },
  major_outage: { message: 'down', color: 'red' }
}

/** File name part for a node: characters outside `[A-Za-z0-9._-]` become `_`. */
export function badgeName(node: string): string {
  return node.replace(/[^A-Za-z0-9._-]/g, '_')
}

function statusJson(summary: StatusSummary, options: StatusArtifactsOptions): string {
  const updatedAt = new Date(options.now).toISOString()
  const wording = STATUS_WORDING[summary.status]
  const document = {
    page: { id: 'flame-status', name: options.title ?? 'FLAME Hub status', updated_at: updatedAt },
    status: { indicator: wording.indicator, description: wording.description },
    overall: summary.status,
    last_run_at: summary.lastRunAt,
    aggregator: options.aggregator,
    latency_limit_seconds: options.latencyLimitSeconds ?? 600,
    components: summary.components.map((component, position) => ({
      id: component.id,
      name: component.name,
      group: component.group,
      status: component.status,
      position: position + 1,
      updated_at: component.lastRun?.at ?? null,
      last_run: component.lastRun,
      uptime: Object.fromEntries(
        UPTIME_WINDOWS.map((window) => {
          const figure = component.uptime[window]
          return [window, { percent: figure.percent, checked: figure.checked, no_data: figure.noData }]
        })
      )
    }))
  }
  return `${JSON.stringify(document, null, 2)}\n`
}

function shieldsEndpoint(label: string, message: string, color: string): string {
  return `${JSON.stringify({ schemaVersion: 1, label, message, color })}\n`
}

/**
 * Builds every artifact file from the log contents (report key → content, null = absent).
 * Paths are repository-relative under the log directory's parent: `status.json`,
 * `badges/overall.svg|json` and `badges/node-<name>.svg|json`.
 */
export function buildStatusFiles(
  logs: ReadonlyMap<string, string | null>,
  options: StatusArtifactsOptions
): Map<string, string> {
  const root = artifactRoot(options.logDir)
  const summary = buildStatusSummary(logs, options)
  const files = new Map<string, string>()

  files.set(posix.join(root, 'status.json'), statusJson(summary, options))

  const overall = STATUS_WORDING[summary.status]
  const overallLabel = options.title ?? 'FLAME Hub'
  files.set(posix.join(root, 'badges', 'overall.svg'), makeBadge({ label: overallLabel, message: overall.badge, color: overall.color }))
  files.set(posix.join(root, 'badges', 'overall.json'), shieldsEndpoint(overallLabel, overall.badge, overall.color))

  for (const component of summary.components) {
    if (component.group !== 'nodes') continue
    const badge = NODE_BADGE[component.status]
    const base = posix.join(root, 'badges', `node-${badgeName(component.name)}`)
    files.set(`${base}.svg`, makeBadge({ label: component.name, message: badge.message, color: badge.color }))
    files.set(`${base}.json`, shieldsEndpoint(component.name, badge.message, badge.color))
  }

  return files
}

/** Repository-relative paths of every file `buildStatusFiles` writes for these nodes. */
export function artifactPaths(logDir: string, nodes: readonly string[]): string[] {
  const root = artifactRoot(logDir)
  const badges = ['overall', ...nodes.map((node) => `node-${badgeName(node)}`)]
  return [posix.join(root, 'status.json'), ...badges.flatMap((name) => ['svg', 'json'].map((ext) => posix.join(root, 'badges', `${name}.${ext}`)))]
}

/** Report keys of all logs the artifacts read: the six steps, then one per node. */
export function reportKeys(nodes: readonly string[]): string[] {
  return [...STEP_KEYS, ...nodes.map(nodeKey)]
}

/**
 * Wraps the history ChangeSet so one ChangeSet writes the new log lines and the artifacts
 * computed from exactly those logs. Because the commit loop calls `build` again on fresh
 * contents after a lost race, the artifacts always match the committed logs.
 */
export function withStatusArtifacts(history: ChangeSet, options: StatusArtifactsOptions): ChangeSet {
  const keys = reportKeys(options.nodes)
  const keyByPath = new Map(keys.map((key) => [logPath(options.logDir, key), key]))
  const paths = [...new Set([...history.paths, ...keyByPath.keys()])]

  return {
    paths,
    build(current) {
      const historyFiles = history.build(current)

      const logs = new Map<string, string | null>()
      for (const [path, key] of keyByPath) logs.set(key, historyFiles.get(path) ?? current.get(path) ?? null)

      const files = new Map(historyFiles)
      for (const [path, content] of buildStatusFiles(logs, options)) files.set(path, content)
      return files
    }
  }
}

/** Builds a ChangeSet that only recomputes the artifacts from the logs at the branch head. */
export function statusArtifactsChangeSet(options: StatusArtifactsOptions): ChangeSet {
  return withStatusArtifacts({ paths: [], build: () => new Map() }, options)
}
