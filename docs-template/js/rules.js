// Pure rules of the page, free of the DOM so Node can import them too. They mirror the action's
// src/history/format.ts, src/verdict/overall.ts and src/publish/status-artifacts.ts; an
// agreement test feeds both the same logs.

const MINUTE_MS = 60000
const HOUR_MS = 60 * MINUTE_MS
const DAY_MS = 24 * HOUR_MS

export const STEP_KEYS = ['login', 'upload', 'distribute', 'execute', 'results', 'latency']

// Shape of the line start: 0 stands for any digit, other characters for themselves.
const LINE_START = '0000-00-00 00:00, '

function isDigit(code) {
  return code >= 48 && code <= 57
}

function digitsAt(text, offset, count) {
  let value = 0
  for (let index = 0; index < count; index++) value = value * 10 + text.charCodeAt(offset + index) - 48
  return value
}

/**
 * Reads text[start, end) as `-?digits(.digits)?`, else NaN. Dividing the digits as an integer
 * by a power of ten rounds once, so the result equals Number(text).
 */
function decimalAt(text, start, end) {
  let index = text[start] === '-' ? start + 1 : start
  const digitsStart = index
  let digits = 0
  let scale = 1
  let fraction = false
  for (; index < end; index++) {
    const code = text.charCodeAt(index)
    if (isDigit(code)) {
      digits = digits * 10 + code - 48
      if (fraction) scale *= 10
    } else if (text[index] === '.' && !fraction && index > digitsStart && index < end - 1) fraction = true
    else return NaN
  }
  if (index === digitsStart) return NaN
  // Beyond 15 digits the integer is no longer exact, so let Number() round the text itself.
  if (end - digitsStart > 15) return Number(text.slice(start, end))
  return (digitsStart > start ? -digits : digits) / scale
}

/**
 * Parses the line text[start, end) by character positions, several times faster than a regular
 * expression, accepting exactly what the action's line pattern accepts after one trailing CR.
 */
function parseRange(text, start, end) {
  if (end > start && text[end - 1] === '\r') end--
  if (end - start < LINE_START.length + 2) return null
  for (let index = 0; index < LINE_START.length; index++) {
    const code = text.charCodeAt(start + index)
    if (LINE_START[index] === '0' ? !isDigit(code) : code !== LINE_START.charCodeAt(index)) return null
  }

  const statusStart = start + LINE_START.length
  let index = statusStart
  while (index < end && text[index] >= 'a' && text[index] <= 'z') index++
  const statusLength = index - statusStart
  if (statusLength === 0 || text[index] !== ',') return null
  const secondsStart = text[index + 1] === ' ' ? index + 2 : index + 1
  const seconds = secondsStart < end ? decimalAt(text, secondsStart, end) : null
  if (Number.isNaN(seconds)) return null

  const year = digitsAt(text, start, 4)
  const month = digitsAt(text, start + 5, 2)
  const day = digitsAt(text, start + 8, 2)
  const hour = digitsAt(text, start + 11, 2)
  const minute = digitsAt(text, start + 14, 2)
  // Date.UTC rolls out-of-range fields over (month 13, minute 60, 31 April) and the action
  // rejects them. Only days past the 28th can roll over within a valid month.
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59) return null
  const time = Date.UTC(year, month - 1, day, hour, minute)
  if (day > 28 && new Date(time).getUTCDate() !== day) return null

  // `failure` is the predecessor page's synonym of `failed`; any other word counts as unknown.
  let status = 'unknown'
  if (statusLength === 7 && text.startsWith('success', statusStart)) status = 'success'
  else if ((statusLength === 6 && text.startsWith('failed', statusStart)) || (statusLength === 7 && text.startsWith('failure', statusStart))) status = 'failed'
  return { time, status, seconds }
}

/** Parses one `YYYY-MM-DD HH:MM, status, seconds` line (UTC); null when it is not in the format. */
export function parseLine(line) {
  return parseRange(line, 0, line.length)
}

/** Parses a whole log: entries in file order, and the 1-based numbers of lines not in the format. */
export function parseLog(text) {
  const { entries, invalid } = parseLogSince(text, -Infinity)
  return { entries, invalid }
}

/**
 * Parses a log from its end back to the first line before `since`, kept so the newest run is
 * known. Older lines are not read or checked. Returns parseLog's result and `complete`.
 * NOTE: this relies on the log being in time order, as the action writes it.
 */
export function parseLogSince(text, since) {
  const entries = []
  const invalidOffsets = []
  let lineEnd = text.length
  let complete = true
  while (lineEnd > 0) {
    const lineStart = text.lastIndexOf('\n', lineEnd - 1) + 1
    const entry = parseRange(text, lineStart, lineEnd)
    if (entry) entries.push(entry)
    else if (text.slice(lineStart, lineEnd).trim() !== '') invalidOffsets.push(lineStart)
    lineEnd = lineStart - 1
    if (entry && entry.time < since && lineEnd > 0) {
      complete = false
      break
    }
  }
  entries.reverse()
  // Line numbers are counted only for the rare invalid lines.
  const invalid = invalidOffsets.reverse().map((offset) => text.slice(0, offset).split('\n').length)
  return { entries, invalid, complete }
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
 * Decides the overall status of one round with the action's rule. A round where nothing
 * failed and no compute node passed (cancelled before any verdict) is no data. A failed
 * login, or no passed compute node, is a major outage. Any other step or node that did not
 * pass is a partial outage, but latency alone does not count. Only latency over its limit
 * is degraded.
 */
export function overallStatus(round) {
  const computeNodes = Object.entries(round.nodes).filter(([name]) => name !== round.aggregator)
  const anyPairPassed = computeNodes.some(([, status]) => status === 'success')
  const anyFailed = [...Object.values(round.steps), ...Object.values(round.nodes)].some((status) => status === 'failed')
  if (!anyFailed && !anyPairPassed) return 'no_data'

  if (round.steps.login !== 'success') return 'major_outage'
  if (!anyPairPassed) return 'major_outage'

  const others = STEP_KEYS.filter((key) => key !== 'latency').map((key) => round.steps[key])
  const anyProblem = [...others, ...Object.values(round.nodes)].some((status) => status !== 'success')
  if (anyProblem) return 'partial_outage'

  if (round.steps.latency === 'failed') return 'degraded'
  return 'operational'
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

/** Sorts one key's runs into the view's bars (run counts, passed durations) and sums the window's uptime. */
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
 * Returns a bar's colour class: `nodata`, `success`, else `failure` below the threshold share
 * and `partial` above. Slow is not down, so latency bars are `slow` instead.
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

/**
 * Reads status.json's nodes into summaries by name: newest run and uptime at `updatedAt`.
 * A node without `last_run` (older status.json) gets none, so its log must be loaded.
 */
export function readNodeSummaries(status) {
  const summaries = new Map()
  const updatedAt = status && status.page ? Date.parse(status.page.updated_at) : NaN
  if (!status || !Array.isArray(status.components) || Number.isNaN(updatedAt)) return summaries

  for (const component of status.components) {
    if (component?.group !== 'nodes' || typeof component.name !== 'string' || !('last_run' in component)) continue
    const last = component.last_run
    const time = Date.parse(last?.at)
    if (last !== null && (Number.isNaN(time) || !['success', 'failed', 'unknown'].includes(last.status))) continue
    const lastRun = last && { time, status: last.status, seconds: typeof last.seconds === 'number' ? last.seconds : null }
    summaries.set(component.name, { updatedAt, lastRun, uptime: component.uptime || {} })
  }
  return summaries
}

/**
 * Returns the entries that stand in for a node's log in the round rules: its newest run, or
 * none. status.json and the logs come from one commit, so that run is the log's newest line at
 * or before `now` unless it is after `now`; then this returns null and the log must be loaded.
 */
export function summaryEntries(summary, now) {
  if (summary.lastRun === null) return []
  return summary.lastRun.time <= now ? [summary.lastRun] : null
}

/** Returns the summary's uptime for a view, or null when the view's window at `now` is not the action's. */
export function summaryUptime(summary, view, now) {
  if (now < summary.updatedAt || windowStart(view, now) !== windowStart(view, summary.updatedAt)) return null
  const figure = summary.uptime[view]
  return figure ? { uptime: figure.percent ?? null, checked: figure.checked ?? 0, noData: figure.no_data ?? 0 } : null
}
