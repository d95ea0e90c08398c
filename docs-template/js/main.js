// Entry point: loads the settings, status.json, messages and logs, then renders the overall
// status and the cards. A refresh starts a new generation; results of an older generation
// that arrive late are dropped.

import config from '../config.js'
import { fetchJson, fetchText, forEachLimited } from './fetch.js'
import { activeMessages, renderMessages, safeUrl } from './messages.js'
import { createCard, renderCard } from './render.js'
import { formatUtc, latestEntry, latestRound, nodeKey, overallStatus, parseLog, VIEWS } from './rules.js'
import { initTheme } from './theme.js'
import { initTooltips } from './tooltip.js'

const MINUTE_MS = 60000

const OVERALL_TEXT = {
  operational: 'All systems operational',
  degraded: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  no_data: 'No data'
}

const state = {
  view: VIEWS[config.defaultView] ? config.defaultView : '7d',
  generation: 0,
  logs: new Map(),
  cards: new Map(),
  nodes: [],
  aggregator: config.aggregator || null,
  thresholds: { ...config.thresholds, latencyLimitSeconds: config.thresholds.latencyLimitSeconds ?? 600 },
  affected: new Set(),
  settled: false
}

const $ = (id) => document.getElementById(id)

/** Node names and aggregator: config.nodes wins, else status.json, else none (with a problem shown). */
function nodeList(status) {
  if (Array.isArray(config.nodes)) return { nodes: config.nodes.map(String), aggregator: config.aggregator || null, problem: null }
  if (status.data && Array.isArray(status.data.components)) {
    const nodes = status.data.components.filter((component) => component && component.group === 'nodes' && typeof component.name === 'string').map((component) => component.name)
    const aggregator = typeof status.data.aggregator === 'string' ? status.data.aggregator : config.aggregator || null
    return { nodes, aggregator, problem: null }
  }
  const reason = status.problem || 'status.json has no "components" list.'
  if (state.nodes.length > 0) {
    // A refresh that cannot read status.json keeps the cards it has instead of dropping them.
    return { nodes: state.nodes, aggregator: state.aggregator, problem: `${reason} The node cards show the last known list.` }
  }
  return { nodes: [], aggregator: config.aggregator || null, problem: `Node cards are missing: ${reason} Set "nodes" in config.js to list them.` }
}

function ensureCards(nodes) {
  const wanted = [
    ...config.steps.map((step) => ({ key: step.key, title: step.label, subtitle: '', container: $('steps') })),
    ...nodes.map((node) => ({
      key: nodeKey(node),
      title: (config.nodeLabels && config.nodeLabels[node]) || node,
      subtitle: node === state.aggregator ? 'aggregator' : 'compute node',
      container: $('nodes')
    }))
  ]
  const keep = new Set(wanted.map((card) => card.key))
  for (const [key, card] of state.cards) {
    if (!keep.has(key)) {
      card.remove()
      state.cards.delete(key)
    }
  }
  const consoleUrl = config.consoleUrl ? safeUrl(config.consoleUrl) : null
  for (const { key, title, subtitle, container } of wanted) {
    if (!state.cards.has(key)) {
      const card = createCard(key, title, subtitle, consoleUrl)
      state.cards.set(key, card)
      container.append(card)
    }
  }
  $('node-section').hidden = nodes.length === 0
}

function renderOne(key, now) {
  const card = state.cards.get(key)
  if (!card) return
  const maintenance = state.affected.has(key) || state.affected.has(key.replace(/^node_/, ''))
  renderCard(card, state.logs.get(key), { view: state.view, now, thresholds: state.thresholds, maintenance })
}

function renderOverall(now) {
  const badge = $('overall-badge')
  if (!state.settled) {
    badge.dataset.status = 'loading'
    $('overall-text').textContent = 'Loading…'
    return
  }

  const entriesByKey = new Map()
  for (const [key, log] of state.logs) entriesByKey.set(key, log.entries || [])
  const round = latestRound(entriesByKey, state.nodes, state.aggregator, now, config.thresholds.lookbackMinutes)
  const status = round === null ? 'no_data' : overallStatus(round.statuses)
  badge.dataset.status = status
  $('overall-text').textContent = OVERALL_TEXT[status]
  $('overall-detail').textContent = round === null ? '' : describeRound(round)

  let newest = null
  for (const entries of entriesByKey.values()) {
    const latest = latestEntry(entries, now)
    if (latest && (newest === null || latest.time > newest.time)) newest = latest
  }
  $('last-run').textContent =
    (newest === null ? 'No health check run logged yet.' : `Latest run: ${formatUtc(newest.time)} UTC.`) +
    ` Page updated ${formatUtc(now)} UTC.`

  const stale = $('stale')
  const limitMinutes = 2 * config.expectedIntervalMinutes
  if (newest !== null && now - newest.time > limitMinutes * MINUTE_MS) {
    stale.textContent =
      `Stale data: the newest result is ${describeAge(now - newest.time)} old, but runs are expected every ${config.expectedIntervalMinutes} minutes. ` +
      'The scheduled workflow may be late, disabled or failing to commit.'
    stale.hidden = false
  } else stale.hidden = true
}

/** Names the checks of a round that did not pass, so the overall status explains itself. */
function describeRound(round) {
  const failed = []
  const unknown = []
  const label = (key) => (config.steps.find((step) => step.key === key) || { label: key }).label
  for (const [key, status] of Object.entries(round.statuses.steps)) {
    if (status === 'failed') failed.push(label(key))
    else if (status === 'unknown') unknown.push(label(key))
  }
  for (const [node, status] of Object.entries(round.statuses.nodes)) {
    if (status === 'failed') failed.push(node)
    else if (status === 'unknown') unknown.push(node)
  }

  const parts = [`Run of ${formatUtc(round.time)} UTC`]
  if (failed.length === 0 && unknown.length === 0) parts.push('every check passed')
  if (failed.length > 0) parts.push(`failed: ${failed.join(', ')}`)
  if (unknown.length > 0) parts.push(`not checked: ${unknown.join(', ')}`)
  return `${parts.join('; ')}.`
}

/** Formats an age in minutes below 2 hours, in hours below 2 days, else in days. */
function describeAge(milliseconds) {
  const minutes = Math.round(milliseconds / MINUTE_MS)
  if (minutes < 120) return `${minutes} minutes`
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)} hours`
  return `${Math.round(minutes / (24 * 60))} days`
}

function renderAll() {
  const now = Date.now()
  $('window-label').textContent = VIEWS[state.view].label
  for (const key of state.cards.keys()) renderOne(key, now)
  renderOverall(now)
}

function showPageProblems(problems) {
  const list = $('page-problems')
  list.replaceChildren(...problems.map((text) => Object.assign(document.createElement('li'), { textContent: text })))
  list.hidden = problems.length === 0
}

/** Fetches and parses the logs of `keys`, rendering each card as its log arrives. */
function loadLogs(keys, generation, fresh) {
  return forEachLimited(
    keys,
    config.maxParallelFetches,
    async (key) => {
      const result = await fetchText(`${config.logBaseUrl}${encodeURIComponent(key)}_report.log`)
      return result.problem ? { entries: [], invalid: [], problem: result.problem, missing: result.missing } : parseLog(result.text)
    },
    (key, log) => {
      if (generation !== state.generation) return
      fresh.set(key, log)
      state.logs.set(key, log)
      renderOne(key, Date.now())
    }
  )
}

async function refresh() {
  const generation = ++state.generation
  const fresh = new Map()

  // The step logs do not depend on status.json, so they load while it is fetched.
  ensureCards(state.nodes)
  const stepLogs = loadLogs(config.steps.map((step) => step.key), generation, fresh)

  const statusPromise = config.statusUrl ? fetchJson(config.statusUrl) : Promise.resolve({ problem: 'statusUrl is empty in config.js.' })
  const messagesPromise = config.messagesUrl ? fetchJson(config.messagesUrl) : Promise.resolve({ data: [] })
  const [status, messagesResult] = await Promise.all([statusPromise, messagesPromise])
  if (generation !== state.generation) return

  const problems = []
  const now = Date.now()
  if (messagesResult.problem && !messagesResult.missing) problems.push(messagesResult.problem)
  const messages = activeMessages(messagesResult.problem ? [] : messagesResult.data, now)
  problems.push(...messages.problems)
  state.affected = messages.affected
  renderMessages($('messages'), messages.messages, formatUtc)

  // The action's latency limit, unless config.js fixes one.
  const reportedLimit = status.data && Number(status.data.latency_limit_seconds)
  if (config.thresholds.latencyLimitSeconds == null && reportedLimit > 0) state.thresholds.latencyLimitSeconds = reportedLimit

  const nodes = nodeList(status)
  if (nodes.problem) problems.push(nodes.problem)
  showPageProblems(problems)
  state.nodes = nodes.nodes
  state.aggregator = nodes.aggregator
  ensureCards(state.nodes)

  // Step cards rendered before status.json and the messages arrived may show another latency
  // limit or miss a maintenance mark, so they are rendered again.
  for (const key of fresh.keys()) renderOne(key, now)
  await Promise.all([stepLogs, loadLogs(state.nodes.map(nodeKey), generation, fresh)])
  if (generation !== state.generation) return

  // Every card was rendered as its log arrived; only the page-wide parts remain.
  state.logs = fresh
  state.settled = true
  renderOverall(Date.now())
  document.body.dataset.ready = String(generation)
  // Benchmarks read this mark: the time from navigation to the fully rendered page.
  if (generation === 1) performance.mark('status-page-ready')
}

function init() {
  document.title = config.title
  $('title').textContent = config.title
  if (config.environment) {
    $('environment').textContent = config.environment
    $('environment').hidden = false
  }
  initTheme($('theme-toggle'))
  initTooltips(document.body, $('tooltip'))

  for (const button of document.querySelectorAll('#views button')) {
    button.setAttribute('aria-pressed', String(button.dataset.view === state.view))
    button.addEventListener('click', () => {
      state.view = button.dataset.view
      for (const other of document.querySelectorAll('#views button')) other.setAttribute('aria-pressed', String(other === button))
      renderAll()
    })
  }

  const autoRefresh = $('auto-refresh')
  autoRefresh.checked = config.refreshSeconds > 0
  autoRefresh.disabled = !(config.refreshSeconds > 0)
  if (config.refreshSeconds > 0) {
    setInterval(() => {
      if (autoRefresh.checked && !document.hidden) refresh()
    }, config.refreshSeconds * 1000)
  }
  autoRefresh.addEventListener('change', () => {
    if (autoRefresh.checked) refresh()
  })

  renderAll()
  refresh()
}

init()
