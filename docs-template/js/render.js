// Cards: one per step and one per node, each with its bar strip, current state, uptime and
// durations. Cards and bars are built once and refilled in place, so a focused bar keeps focus.

import { barState, formatUtc, latestEntry, runPassed, summarise, summaryEntries, summaryUptime, VIEWS, windowStart } from './rules.js'

const MINUTE_MS = 60000

const BAR_WORDS = { success: 'All passed', partial: 'Partial outage', failure: 'Outage', slow: 'Slow', nodata: 'No data', pending: 'Loading' }

/** Card → the elements every render fills, so renders need no queries. */
const parts = new WeakMap()

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
  parts.set(card, { title: heading.textContent, state, stateText: state.lastElementChild, strip, details, problem })

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

function barTime(start, end, view) {
  return view === '24h' ? `${formatUtc(start)}–${formatUtc(end).slice(11)} UTC` : `${formatUtc(start).slice(0, 10)} (UTC day)`
}

function barLabel(key, bar, view, state, limit) {
  const when = barTime(bar.start, bar.end, view)
  const checked = bar.passed + bar.failed
  const lines = [`${BAR_WORDS[state]}: ${when}`]
  if (checked === 0 && bar.noData === 0) lines.push('No runs in this period.')
  else if (checked > 0 && key === 'latency') lines.push(`${bar.passed} of ${runs(checked)} within the ${limit} s limit.`)
  else if (checked > 0) lines.push(`${bar.passed} of ${runs(checked)} passed.`)
  if (bar.noData > 0) lines.push(`${runs(bar.noData)} without data (not checked).`)
  if (bar.timed > 0) lines.push(`Average duration ${(bar.seconds / bar.timed).toFixed(1)} s.`)
  return lines.join('\n')
}

/** Resizes a strip to `count` bars, reusing the bars it has; the newest bar takes the tab stop. */
function sizeStrip(strip, count) {
  if (strip.childElementCount === count) return strip.children
  while (strip.childElementCount > count) strip.lastElementChild.remove()
  const added = document.createDocumentFragment()
  for (let index = strip.childElementCount; index < count; index++) {
    const bar = element('span', 'bar')
    bar.setAttribute('role', 'img')
    added.append(bar)
  }
  strip.append(added)
  const bars = strip.children
  for (let index = 0; index < count; index++) bars[index].tabIndex = index === count - 1 ? 0 : -1
  return bars
}

function setBar(bar, state, start, label) {
  if (bar.dataset.state !== state) bar.dataset.state = state
  if (bar.dataset.start !== start) bar.dataset.start = start
  if (bar.getAttribute('aria-label') !== label) bar.setAttribute('aria-label', label)
}

// Pending bars are alike on every card, so they are built once per window.
let pendingWindow = { key: '', bars: [] }

function fillPendingBars(bars, view, now) {
  const { size } = VIEWS[view]
  const start = windowStart(view, now)
  if (pendingWindow.key !== `${view} ${start}`) {
    const pending = []
    for (let index = 0; index < bars.length; index++) {
      const barStart = start + index * size
      pending.push([new Date(barStart).toISOString(), `Loading: ${barTime(barStart, barStart + size, view)}\nThe history loads when the card is shown.`])
    }
    pendingWindow = { key: `${view} ${start}`, bars: pending }
  }
  for (let index = 0; index < bars.length; index++) setBar(bars[index], 'pending', ...pendingWindow.bars[index])
}

function describeUptime(summary) {
  const texts = []
  if (summary.uptime === null) texts.push('Uptime: no checked runs in this view')
  else texts.push(`Uptime ${summary.uptime.toFixed(2)} % of ${summary.checked} checked ${summary.checked === 1 ? 'run' : 'runs'}`)
  if (summary.noData > 0) {
    const all = summary.checked + summary.noData
    const strict = summary.uptime === null ? 0 : (summary.uptime * summary.checked) / all
    texts.push(`${runs(summary.noData)} without data, excluded (${strict.toFixed(2)} % if counted as down)`)
  }
  return texts
}

function describeLatest(latest) {
  return latest === null ? 'Latest run: none' : `Latest run ${formatUtc(latest.time)} UTC: ${latest.status}, ${seconds(latest.seconds)}`
}

function setState(card, elements, current, maintenance) {
  const shown = maintenance ? { state: current.state, text: `Under maintenance (${current.text.toLowerCase()})` } : current
  card.dataset.state = shown.state
  elements.state.dataset.state = shown.state
  elements.stateText.textContent = shown.text
}

/**
 * Fills a card from its parsed log (or the problem that kept it from loading) for the given
 * view and time. `maintenance` marks a check that an active message lists under `affects`.
 */
export function renderCard(card, log, options) {
  const { view, now, thresholds, maintenance } = options
  const key = card.dataset.key
  const elements = parts.get(card)
  const entries = log && log.entries ? log.entries : []
  const summary = summarise(key, entries, view, now, thresholds.latencyLimitSeconds)

  let current = log ? currentState(key, entries, now, thresholds) : { state: 'loading', text: 'Loading…' }
  if (log && log.problem && entries.length === 0) current = { state: 'nodata', text: log.missing ? 'Log not found' : 'Log not loaded' }
  setState(card, elements, current, maintenance)
  card.dataset.uptime = summary.uptime === null ? '' : String(summary.uptime)

  elements.strip.setAttribute('aria-label', `${elements.title}: ${VIEWS[view].label}`)
  const bars = sizeStrip(elements.strip, summary.bars.length)
  for (let index = 0; index < bars.length; index++) {
    const bar = summary.bars[index]
    const state = barState(key, bar, thresholds.failureBelow)
    setBar(bars[index], state, new Date(bar.start).toISOString(), barLabel(key, bar, view, state, thresholds.latencyLimitSeconds))
  }

  const texts = describeUptime(summary)
  texts.push(describeLatest(latestEntry(entries, now)))
  texts.push(summary.averageSeconds === null ? 'Average: no timed passed runs' : `Average ${summary.averageSeconds.toFixed(2)} s (passed runs)`)
  elements.details.textContent = texts.join(' · ')

  const problems = []
  if (log && log.problem) problems.push(log.problem)
  if (log && log.invalid && log.invalid.length > 0) {
    const shown = log.invalid.slice(0, 5).join(', ')
    problems.push(`${log.invalid.length} ${log.invalid.length === 1 ? 'line is' : 'lines are'} not in the log format and were skipped (line ${shown}${log.invalid.length > 5 ? ', …' : ''}).`)
  }
  if (log && !log.problem && entries.length === 0 && (!log.invalid || log.invalid.length === 0)) problems.push('The log is empty.')
  elements.problem.textContent = problems.join(' ')
  elements.problem.hidden = problems.length === 0
}

/**
 * Fills a node card from its status.json summary until its log loads; the bars wait for the
 * log. Returns false when the summary cannot stand in for the log.
 */
export function renderSummaryCard(card, nodeSummary, options) {
  const { view, now, thresholds, maintenance } = options
  const entries = summaryEntries(nodeSummary, now)
  if (entries === null) return false

  const elements = parts.get(card)
  setState(card, elements, currentState(card.dataset.key, entries, now, thresholds), maintenance)
  const uptime = summaryUptime(nodeSummary, view, now)
  card.dataset.uptime = uptime === null || uptime.uptime === null ? '' : String(uptime.uptime)

  elements.strip.setAttribute('aria-label', `${elements.title}: ${VIEWS[view].label}`)
  fillPendingBars(sizeStrip(elements.strip, VIEWS[view].count), view, now)

  const texts = uptime === null ? ['Uptime loads with the history'] : describeUptime(uptime)
  texts.push(describeLatest(entries.length === 0 ? null : entries[0]), 'Average loads with the history')
  elements.details.textContent = texts.join(' · ')
  elements.problem.hidden = true
  return true
}
