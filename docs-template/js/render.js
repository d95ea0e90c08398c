// Cards: one per step and one per node, each with its bar strip, current state, uptime and
// durations. Cards are built once per key and refilled in place on every render, so a
// refresh that overlaps another never duplicates a card.

import { barState, formatUtc, latestEntry, runPassed, summarise, VIEWS } from './rules.js'

const MINUTE_MS = 60000

const BAR_WORDS = { success: 'All passed', partial: 'Partial outage', failure: 'Outage', slow: 'Slow', nodata: 'No data' }

function element(tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

function runs(count) {
  return count === 1 ? '1 run' : `${count} runs`
}

function seconds(value) {
  return value === null ? 'no duration' : `${value.toFixed(2)} s`
}

/** Creates an empty card for a key; `renderCard` fills it. */
export function createCard(key, title, subtitle, consoleUrl) {
  const card = element('article', 'card')
  card.dataset.key = key
  card.dataset.state = 'loading'

  const header = element('header', 'card-header')
  const heading = element('h3', 'card-title', title)
  const state = element('span', 'state')
  state.append(element('span', 'dot'), element('span', 'state-text', 'Loading…'))
  header.append(heading, state)
  if (subtitle) header.append(element('span', 'card-subtitle', subtitle))

  const strip = element('div', 'strip')
  strip.setAttribute('role', 'group')
  const details = element('p', 'details')
  const problem = element('p', 'card-problem')
  problem.hidden = true
  card.append(header, strip, details, problem)

  if (consoleUrl) {
    const link = element('a', 'console', 'Open console')
    link.href = consoleUrl
    link.target = '_blank'
    link.rel = 'noopener noreferrer'
    card.append(link)
  }
  return card
}

/** Current state of a key: the newest run inside the lookback window. */
function currentState(key, entries, now, thresholds) {
  const latest = latestEntry(entries, now)
  if (latest === null) return { state: 'nodata', text: 'No runs logged' }
  if (now - latest.time > thresholds.lookbackMinutes * MINUTE_MS) return { state: 'nodata', text: `No run in the last ${thresholds.lookbackMinutes} min` }

  const passed = runPassed(key, latest, thresholds.latencyLimitSeconds)
  if (passed === null) return { state: 'nodata', text: 'Not checked in the latest run' }
  if (key === 'latency') return passed ? { state: 'success', text: 'Within the latency limit' } : { state: 'slow', text: 'Over the latency limit' }
  return passed ? { state: 'success', text: 'Operational' } : { state: 'failure', text: 'Down' }
}

function barLabel(key, bar, view, state, limit) {
  const when = view === '24h' ? `${formatUtc(bar.start)}–${formatUtc(bar.end).slice(11)} UTC` : `${formatUtc(bar.start).slice(0, 10)} (UTC day)`
  const checked = bar.passed + bar.failed
  const lines = [`${BAR_WORDS[state]}: ${when}`]
  if (checked === 0 && bar.noData === 0) lines.push('No runs in this period.')
  else if (checked > 0 && key === 'latency') lines.push(`${bar.passed} of ${runs(checked)} within the ${limit} s limit.`)
  else if (checked > 0) lines.push(`${bar.passed} of ${runs(checked)} passed.`)
  if (bar.noData > 0) lines.push(`${runs(bar.noData)} without data (not checked).`)
  if (bar.timed > 0) lines.push(`Average duration ${(bar.seconds / bar.timed).toFixed(1)} s.`)
  return lines.join('\n')
}

/**
 * Fills a card from its parsed log (or the problem that kept it from loading) for the given
 * view and time. `maintenance` marks a check that an active message lists under `affects`.
 */
export function renderCard(card, log, options) {
  const { view, now, thresholds, maintenance } = options
  const key = card.dataset.key
  const entries = log && log.entries ? log.entries : []
  const summary = summarise(key, entries, view, now, thresholds.latencyLimitSeconds)

  let current = log ? currentState(key, entries, now, thresholds) : { state: 'loading', text: 'Loading…' }
  if (log && log.problem && entries.length === 0) current = { state: 'nodata', text: log.missing ? 'Log not found' : 'Log not loaded' }
  if (maintenance) current = { state: current.state, text: `Under maintenance (${current.text.toLowerCase()})` }
  card.dataset.state = current.state
  card.dataset.uptime = summary.uptime === null ? '' : String(summary.uptime)
  card.querySelector('.state').dataset.state = current.state
  card.querySelector('.state-text').textContent = current.text

  const strip = card.querySelector('.strip')
  strip.setAttribute('aria-label', `${card.querySelector('.card-title').textContent}: ${VIEWS[view].label}`)
  const bars = summary.bars.map((bar, index) => {
    const state = barState(key, bar, thresholds.failureBelow)
    const node = element('span', 'bar')
    node.dataset.state = state
    node.dataset.start = new Date(bar.start).toISOString()
    node.setAttribute('role', 'img')
    node.setAttribute('aria-label', barLabel(key, bar, view, state, thresholds.latencyLimitSeconds))
    node.tabIndex = index === summary.bars.length - 1 ? 0 : -1
    return node
  })
  strip.replaceChildren(...bars)

  const parts = []
  if (summary.uptime === null) parts.push(`Uptime: no checked runs in this view`)
  else parts.push(`Uptime ${summary.uptime.toFixed(2)} % of ${summary.checked} checked ${summary.checked === 1 ? 'run' : 'runs'}`)
  if (summary.noData > 0) {
    const all = summary.checked + summary.noData
    const strict = summary.uptime === null ? 0 : (summary.uptime * summary.checked) / all
    parts.push(`${runs(summary.noData)} without data, excluded (${strict.toFixed(2)} % if counted as down)`)
  }
  const latest = latestEntry(entries, now)
  parts.push(latest === null ? 'Latest run: none' : `Latest run ${formatUtc(latest.time)} UTC: ${latest.status}, ${seconds(latest.seconds)}`)
  parts.push(summary.averageSeconds === null ? 'Average: no timed passed runs' : `Average ${summary.averageSeconds.toFixed(2)} s (passed runs)`)
  card.querySelector('.details').textContent = parts.join(' · ')

  const problems = []
  if (log && log.problem) problems.push(log.problem)
  if (log && log.invalid && log.invalid.length > 0) {
    const shown = log.invalid.slice(0, 5).join(', ')
    problems.push(`${log.invalid.length} lines are not in the log format and were skipped (line ${shown}${log.invalid.length > 5 ? ', …' : ''}).`)
  }
  if (log && !log.problem && entries.length === 0 && (!log.invalid || log.invalid.length === 0)) problems.push('The log is empty.')
  const problem = card.querySelector('.card-problem')
  problem.textContent = problems.join(' ')
  problem.hidden = problems.length === 0
}
