// Entry point: loads status.json, messages and logs, then renders the overall status and the
// cards. Node cards show their status.json summary and load their log once near the viewport.
// Each refresh is a new generation. Late results of an older one are dropped.

import config from '../config.js'
import { createQueue, fetchJson, fetchText, safeUrl } from './fetch.js'
import { createCard, renderCard, renderSummaryCard } from './render.js'
import { formatUtc, latestEntry, latestRound, nodeKey, overallStatus, parseLogSince, readNodeSummaries, summaryEntries, VIEWS, windowStart } from './rules.js'
import { initTheme } from './theme.js'
import { initTooltips } from './tooltip.js'

const MINUTE_MS = 60000

/** Node cards within one viewport height of the screen load their logs. */
const NEAR_MARGIN = '100% 0px'

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
  loads: new Map(),
  cards: new Map(),
  near: new Set(),
  nodes: [],
  summaries: new Map(),
  aggregator: config.aggregator || null,
  thresholds: { ...config.thresholds, latencyLimitSeconds: config.thresholds.latencyLimitSeconds ?? 600 },
  affected: new Set(),
  settled: false,
  /** Whether all node logs load, as some node lacks a usable summary. */
  eager: true,
  queue: createQueue(Math.max(1, Number(config.maxParallelFetches) || 6)),
  observer: null,
  tooltips: null
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
      state.observer?.unobserve(card)
      state.near.delete(key)
      card.remove()
      state.cards.delete(key)
    }
  }

  // New cards go in with one insertion per container, so the page is laid out once.
  const consoleUrl = config.consoleUrl ? safeUrl(config.consoleUrl) : null
  const added = new Map()
  for (const { key, title, subtitle, container } of wanted) {
    if (state.cards.has(key)) continue
    const card = createCard(key, title, subtitle, consoleUrl)
    state.cards.set(key, card)
    if (!added.has(container)) added.set(container, document.createDocumentFragment())
    added.get(container).append(card)
    if (container === $('nodes')) state.observer?.observe(card)
  }
  for (const [container, fragment] of added) container.append(fragment)
  $('node-section').hidden = nodes.length === 0
}

function renderOne(key, now) {
  const card = state.cards.get(key)
  if (!card) return
  const maintenance = state.affected.has(key) || state.affected.has(key.replace(/^node_/, ''))
  const options = { view: state.view, now, thresholds: state.thresholds, maintenance }
  const log = logForView(key, now)
  const summary = log ? undefined : state.summaries.get(key.replace(/^node_/, ''))
  if (!summary || !renderSummaryCard(card, summary, options)) renderCard(card, log, options)
}

/** Entries per report key for the round rules: loaded logs, else the nodes' status.json summaries. */
function roundEntries(now) {
  const entriesByKey = new Map()
  for (const step of config.steps) entriesByKey.set(step.key, state.logs.get(step.key)?.entries || [])
  for (const node of state.nodes) {
    const log = state.logs.get(nodeKey(node))
    const summary = state.summaries.get(node)
    entriesByKey.set(nodeKey(node), (log ? log.entries : summary && summaryEntries(summary, now)) || [])
  }
  return entriesByKey
}

function renderOverall(now) {
  const badge = $('overall-badge')
  if (!state.settled) {
    badge.dataset.status = 'loading'
    $('overall-text').textContent = 'Loading…'
    return
  }

  const entriesByKey = roundEntries(now)
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

/** Loads the log of `key` once per generation and renders its card; returns the pending load. */
function loadLog(key, generation) {
  const pending = state.loads.get(key)
  if (pending && pending.generation === generation) return pending.promise

  const promise = state.queue(async () => {
    // A node card that left the viewport while queued loads when it returns.
    if (generation !== state.generation) return
    if (key.startsWith('node_') && !state.near.has(key) && !state.eager) {
      state.loads.delete(key)
      return
    }
    const result = await fetchText(`${config.logBaseUrl}${encodeURIComponent(key)}_report.log`)
    if (generation !== state.generation) return
    const now = Date.now()
    const since = windowStart(state.view, now)
    const log = result.problem ? { entries: [], invalid: [], problem: result.problem, missing: result.missing } : { text: result.text, since, ...parseLogSince(result.text, since) }
    state.logs.set(key, log)
    renderOne(key, now)
    state.tooltips?.refresh()
    // The log may be newer than the summary that stood in for it.
    if (state.settled && key.startsWith('node_')) renderOverall(now)
  })
  state.loads.set(key, { generation, promise })
  return promise
}

/** Returns the log of `key`, parsed further back if the view needs it. Parsing is most of the work. */
function logForView(key, now) {
  const log = state.logs.get(key)
  if (!log || log.complete !== false) return log
  const since = windowStart(state.view, now)
  if (since >= log.since) return log
  const longer = { text: log.text, since, ...parseLogSince(log.text, since) }
  state.logs.set(key, longer)
  return longer
}

/** Returns whether some node has no summary that can stand in for its log. */
function needsAllNodeLogs() {
  const now = Date.now()
  return !state.observer || state.nodes.some((node) => {
    const summary = state.summaries.get(node)
    return !summary || summaryEntries(summary, now) === null
  })
}

/** Returns the keys of node cards within the near margin, from one layout pass. */
function nodeCardsNearViewport() {
  const height = window.innerHeight
  return state.nodes.map(nodeKey).filter((key) => {
    const box = state.cards.get(key).getBoundingClientRect()
    return box.bottom >= -height && box.top <= 2 * height
  })
}

function watchNodeCards() {
  if (typeof IntersectionObserver !== 'function') return
  state.observer = new IntersectionObserver(
    (changes) => {
      for (const change of changes) {
        const key = change.target.dataset.key
        if (!change.isIntersecting) {
          state.near.delete(key)
          continue
        }
        state.near.add(key)
        if (!state.logs.has(key)) loadLog(key, state.generation)
      }
    },
    { rootMargin: NEAR_MARGIN }
  )
}

async function refresh() {
  const generation = ++state.generation
  state.loads.clear()
  // Step cards keep their last log until the new one arrives; node cards show the new summary.
  state.logs = new Map([...state.logs].filter(([key]) => !key.startsWith('node_')))

  // status.json goes out after the first step log, before the others: the node cards need it.
  ensureCards(state.nodes)
  const stepLoads = config.steps.slice(0, 1).map((step) => loadLog(step.key, generation))
  const statusPromise = config.statusUrl ? fetchJson(config.statusUrl) : Promise.resolve({ problem: 'statusUrl is empty in config.js.' })
  stepLoads.push(...config.steps.slice(1).map((step) => loadLog(step.key, generation)))
  const messagesPromise = config.messagesUrl ? fetchJson(config.messagesUrl) : Promise.resolve({ data: [] })
  // The banner code loads while the data does, because nothing else waits for it.
  const messagesCode = import('./messages.js')

  const status = await statusPromise
  if (generation !== state.generation) return
  const now = Date.now()

  // The action's latency limit, unless config.js fixes one.
  const reportedLimit = status.data && Number(status.data.latency_limit_seconds)
  if (config.thresholds.latencyLimitSeconds == null && reportedLimit > 0) state.thresholds.latencyLimitSeconds = reportedLimit

  const nodes = nodeList(status)
  state.nodes = nodes.nodes
  state.aggregator = nodes.aggregator
  state.summaries = status.data ? readNodeSummaries(status.data) : new Map()
  ensureCards(state.nodes)

  // Step cards may have been rendered with another latency limit.
  for (const key of state.cards.keys()) renderOne(key, now)

  // Without a summary for every node, the overall status needs every node log.
  state.eager = needsAllNodeLogs()
  const nodeKeys = state.eager ? state.nodes.map(nodeKey) : nodeCardsNearViewport()
  for (const key of nodeKeys) state.near.add(key)
  const nodeLogs = Promise.all(nodeKeys.map((key) => loadLog(key, generation)))

  const [messagesResult, { activeMessages, renderMessages }] = await Promise.all([messagesPromise, messagesCode])
  if (generation !== state.generation) return
  const problems = []
  if (messagesResult.problem && !messagesResult.missing) problems.push(messagesResult.problem)
  const messages = activeMessages(messagesResult.problem ? [] : messagesResult.data, Date.now())
  problems.push(...messages.problems)
  if (nodes.problem) problems.push(nodes.problem)
  showPageProblems(problems)
  renderMessages($('messages'), messages.messages, formatUtc)

  // Cards entering or leaving maintenance render again.
  const marked = new Set([...state.affected, ...messages.affected])
  state.affected = messages.affected
  for (const name of marked) {
    for (const key of [name, nodeKey(name)]) renderOne(key, Date.now())
  }

  await Promise.all([...stepLoads, nodeLogs])
  if (generation !== state.generation) return

  state.settled = true
  renderOverall(Date.now())
  document.body.dataset.ready = String(generation)
  // Benchmarks read this mark: the overall status and every card near the viewport are final.
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
  state.tooltips = initTooltips(document.body, $('tooltip'))
  watchNodeCards()

  const viewButtons = document.querySelectorAll('#views button')
  const showView = (view) => {
    state.view = view
    for (const button of viewButtons) button.setAttribute('aria-pressed', String(button.dataset.view === view))
  }
  showView(state.view)
  $('views').addEventListener('click', (event) => {
    const view = event.target.closest('button')?.dataset.view
    if (!VIEWS[view]) return
    showView(view)
    renderAll()
  })

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
