// Pure rules of the page, free of the DOM so Node can import them too. The line format,
// the round rule and the overall status mirror the action's TypeScript modules
// src/history/format.ts, src/verdict/overall.ts and src/publish/status-artifacts.ts.
// An agreement test feeds both the same logs.

const MINUTE_MS = 60000
const HOUR_MS = 60 * MINUTE_MS
const DAY_MS = 24 * HOUR_MS

export const STEP_KEYS = ['login', 'upload', 'distribute', 'execute', 'results', 'latency']

const LINE_PATTERN = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}), ([a-z]+), ?(-?\d+(?:\.\d+)?)?$/

/** Parses one `YYYY-MM-DD HH:MM, status, seconds` line (UTC); null when it is not in the format. */
export function parseLine(line) {
  const match = LINE_PATTERN.exec(line.replace(/\r$/, ''))
  if (!match) return null
  const [, year, month, day, hour, minute, status, seconds] = match
  const time = Date.UTC(+year, +month - 1, +day, +hour, +minute)
  // Date.UTC rolls over out-of-range fields (month 13, minute 60), so compare them back.
  const date = new Date(time)
  if (date.getUTCMonth() !== +month - 1 || date.getUTCDate() !== +day || date.getUTCHours() !== +hour || date.getUTCMinutes() !== +minute) return null
  // `failure` is the predecessor page's synonym of `failed`; any other word counts as unknown.
  let normalised = 'unknown'
  if (status === 'success') normalised = 'success'
  else if (status === 'failed' || status === 'failure') normalised = 'failed'
  return { time, status: normalised, seconds: seconds === undefined ? null : Number(seconds) }
}

/** Parses a whole log: entries in file order, and the 1-based numbers of lines not in the format. */
export function parseLog(text) {
  const entries = []
  const invalid = []
  const lines = text.split('\n')
  for (let index = 0; index < lines.length; index++) {
    if (lines[index].trim() === '') continue
    const entry = parseLine(lines[index])
    if (entry) entries.push(entry)
    else invalid.push(index + 1)
  }
  return { entries, invalid }
}

export function nodeKey(node) {
  return `node_${node}`
}

/**
 * Finds the newest round inside the lookback window: the lines sharing the newest timestamp.
 * A step without a line then is `unknown`; a node without one did not take part. Returns
 * null when no line lies inside the window (the page then shows "no data").
 */
export function latestRound(entriesByKey, nodes, aggregator, now, lookbackMinutes) {
  let newest = -Infinity
  for (const entries of entriesByKey.values()) {
    for (const entry of entries) {
      if (entry.time <= now && entry.time > newest) newest = entry.time
    }
  }
  if (!Number.isFinite(newest) || now - newest > lookbackMinutes * MINUTE_MS) return null

  const statusAt = (key) => {
    const entries = entriesByKey.get(key) || []
    for (let index = entries.length - 1; index >= 0; index--) {
      if (entries[index].time === newest) return entries[index].status
    }
    return undefined
  }

  const steps = {}
  for (const key of STEP_KEYS) steps[key] = statusAt(key) || 'unknown'
  const nodeStatuses = {}
  for (const node of nodes) {
    const status = statusAt(nodeKey(node))
    if (status !== undefined) nodeStatuses[node] = status
  }
  return { time: newest, statuses: { steps, nodes: nodeStatuses, aggregator } }
}

/**
 * Decides the overall status of one round with the action's rule. A failed login, or no
 * passed compute node, is a major outage. Any other step or node that did not pass is a
 * partial outage, but latency alone does not count. Only latency over its limit is degraded.
 */
export function overallStatus(round) {
  if (round.steps.login !== 'success') return 'major_outage'

  const computeNodes = Object.entries(round.nodes).filter(([name]) => name !== round.aggregator)
  if (!computeNodes.some(([, status]) => status === 'success')) return 'major_outage'

  const others = STEP_KEYS.filter((key) => key !== 'latency').map((key) => round.steps[key])
  const anyProblem = [...others, ...Object.values(round.nodes)].some((status) => status !== 'success')
  if (anyProblem) return 'partial_outage'

  if (round.steps.latency === 'failed') return 'degraded'
  return 'operational'
}

/** Returns the overall status of the newest round, or `no_data` when no round is recent enough. */
export function pageStatus(entriesByKey, nodes, aggregator, now, lookbackMinutes) {
  const round = latestRound(entriesByKey, nodes, aggregator, now, lookbackMinutes)
  return round === null ? 'no_data' : overallStatus(round.statuses)
}

/** Returns whether one run passed: true, false, or null for `unknown`. A latency run above the limit fails. */
export function runPassed(key, entry, latencyLimitSeconds) {
  if (entry.status === 'unknown') return null
  if (entry.status === 'failed') return false
  if (key === 'latency' && entry.seconds !== null && entry.seconds > latencyLimitSeconds) return false
  return true
}

export const VIEWS = {
  '24h': { label: 'Last 24 hours, hourly bars (UTC)', count: 24, size: HOUR_MS },
  '7d': { label: 'Last 7 days, UTC calendar days', count: 7, size: DAY_MS },
  '30d': { label: 'Last 30 days, UTC calendar days', count: 30, size: DAY_MS }
}

/** Start of the view's first bar: whole UTC hours (24h) or whole UTC calendar days. */
export function windowStart(view, now) {
  const { count, size } = VIEWS[view]
  return Math.floor(now / size) * size - (count - 1) * size
}

/**
 * Sorts one key's runs into the view's bars and sums up the window. Each bar contains counts of
 * passed, failed and no-data runs and the durations of passed runs; the window adds uptime
 * with unknown runs excluded.
 */
export function summarise(key, entries, view, now, latencyLimitSeconds) {
  const { count, size } = VIEWS[view]
  const start = windowStart(view, now)
  const bars = []
  for (let index = 0; index < count; index++) {
    bars.push({ start: start + index * size, end: start + (index + 1) * size, passed: 0, failed: 0, noData: 0, seconds: 0, timed: 0 })
  }
  let passed = 0
  let checked = 0
  let noData = 0
  let seconds = 0
  let timed = 0
  for (const entry of entries) {
    if (entry.time < start || entry.time > now) continue
    const bar = bars[Math.floor((entry.time - start) / size)]
    const result = runPassed(key, entry, latencyLimitSeconds)
    if (result === null) {
      bar.noData++
      noData++
      continue
    }
    checked++
    if (result) {
      bar.passed++
      passed++
    } else bar.failed++
    if (entry.status === 'success' && entry.seconds !== null) {
      bar.seconds += entry.seconds
      bar.timed++
      seconds += entry.seconds
      timed++
    }
  }
  return {
    bars,
    checked,
    noData,
    uptime: checked === 0 ? null : Math.round((passed / checked) * 10000) / 100,
    averageSeconds: timed === 0 ? null : seconds / timed
  }
}

/**
 * Returns a bar's colour class: `nodata` without checked runs, `success` when all passed, else
 * `failure` below the threshold share and `partial` above. Latency bars are never `failure`
 * because slow is not down, so they are `slow` when any run was over the limit.
 */
export function barState(key, bar, failureBelow) {
  const checked = bar.passed + bar.failed
  if (checked === 0) return 'nodata'
  if (bar.failed === 0) return 'success'
  if (key === 'latency') return 'slow'
  return bar.passed / checked < failureBelow ? 'failure' : 'partial'
}

/** Returns the newest run at or before `now`, whatever its status. */
export function latestEntry(entries, now) {
  let latest = null
  for (const entry of entries) {
    if (entry.time <= now && (latest === null || entry.time >= latest.time)) latest = entry
  }
  return latest
}

/** Formats a time as `YYYY-MM-DD HH:MM` in UTC. */
export function formatUtc(time) {
  return new Date(time).toISOString().slice(0, 16).replace('T', ' ')
}
