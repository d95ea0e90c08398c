// The job summary as HTML. Every text that comes from the Hub, a file or an input is
// escaped, because GitHub renders the summary as HTML and core.summary escapes nothing.

import * as core from '@actions/core'

import type { LineStatus } from '../history/format.js'
import { STEP_KEYS, type OverallStatus, type StepKey } from '../verdict/overall.js'
import { escapeHtml } from './escape.js'
import type { ReportLimits, RoundReport } from './outputs.js'

const OVERALL_LABELS: Record<OverallStatus, string> = {
  operational: '🟢 Operational',
  degraded: '🟡 Degraded performance',
  partial_outage: '🟠 Partial outage',
  major_outage: '🔴 Major outage',
  no_data: '⚪ No data (the round ended before any verdict)'
}

const STATUS_LABELS: Record<LineStatus, string> = {
  success: '✅ success',
  failed: '❌ failed',
  unknown: '❔ unknown'
}

const STEP_TITLES: Record<StepKey, string> = {
  login: 'Login',
  upload: 'Upload',
  distribute: 'Build and distribute',
  execute: 'Execute',
  results: 'Results',
  latency: 'Latency'
}

/** Renders the whole summary of one round. */
export function renderSummary(report: RoundReport): string {
  const sections = [
    `<h2>FLAME Hub health check: ${OVERALL_LABELS[report.status]}</h2>`,
    renderRoundFacts(report),
    report.cancelled ? '<p><strong>The round was cancelled</strong>; interrupted steps are unknown.</p>' : '',
    '<h3>Steps</h3>',
    renderStepsTable(report),
    '<h3>Nodes</h3>',
    renderNodesTable(report),
    renderNotes(report),
    renderPairs(report)
  ]
  return sections.filter((section) => section !== '').join('\n') + '\n'
}

/** Appends the summary to the step summary file, if the runner provides one. */
export async function writeSummary(report: RoundReport): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) {
    core.info('GITHUB_STEP_SUMMARY is not set, so no job summary was written.')
    return
  }
  await core.summary.addRaw(renderSummary(report), true).write()
}

function renderRoundFacts(report: RoundReport): string {
  const era = report.hub.era === null ? 'unknown era' : `era ${report.hub.era.toUpperCase()}`
  const version = report.hub.version === null ? 'version unknown' : `version ${report.hub.version}`
  const facts = [
    `Round started ${escapeHtml(report.startedAt)} and took ${report.durationSeconds.toFixed(2)} s.`,
    `Hub ${escapeHtml(version)} (${escapeHtml(era)}) at <code>${escapeHtml(report.hub.coreUrl)}</code>.`,
    `Project <code>${escapeHtml(report.project.name)}</code>` +
      (report.masterImage === null ? '.' : `, master image <code>${escapeHtml(report.masterImage.virtualPath)}</code>.`)
  ]
  return `<p>${facts.join('<br>\n')}</p>`
}

function renderStepsTable(report: RoundReport): string {
  const rows = STEP_KEYS.map((key) => {
    const step = report.steps[key]
    return row([
      STEP_TITLES[key],
      STATUS_LABELS[step.status],
      formatSeconds(step.seconds),
      stepBudget(key, report.limits),
      step.reasons.join('\n')
    ])
  })
  return table(['Step', 'Status', 'Duration', 'Budget', 'Reason'], rows)
}

function renderNodesTable(report: RoundReport): string {
  const rows = Object.entries(report.nodes).map(([name, node]) =>
    row([name, node.role, STATUS_LABELS[node.status], formatSeconds(node.seconds), node.reason ?? ''])
  )
  return table(['Node', 'Role', 'Status', 'Latency', 'Reason'], rows)
}

function renderNotes(report: RoundReport): string {
  const notes = [...report.notes]
  if (report.onlineFlagNote !== null) notes.push(report.onlineFlagNote)
  if (report.project.staleAnalysesDeleted > 0) {
    const count = report.project.staleAnalysesDeleted
    notes.push(`Deleted ${count} stale ${count === 1 ? 'analysis' : 'analyses'} of the project before the round.`)
  }
  if (notes.length === 0) return ''
  return `<h3>Notes</h3>\n<ul>\n${notes.map((note) => `<li>${escapeHtml(note)}</li>`).join('\n')}\n</ul>`
}

// NOTE: the Hub API gives no address of its web UI, so the summary lists analysis ids
// instead of linking to the analyses.
function renderPairs(report: RoundReport): string {
  if (report.pairs.length === 0) return ''
  const rows = report.pairs.map((pair) =>
    row([
      pair.node,
      pair.analysisId ?? '',
      pair.failedStep ?? (pair.precheck.passed ? '' : 'pre-check'),
      formatSeconds(pair.latencySeconds),
      pair.cleanup
    ])
  )
  const content = table(['Pair node', 'Analysis id', 'Failed at', 'Latency', 'Analysis'], rows)
  return `<details><summary>Pairs and analyses</summary>\n\n${content}\n</details>`
}

function stepBudget(key: StepKey, limits: ReportLimits): string {
  const { budgets } = limits
  switch (key) {
    case 'login':
      return `${budgets.login} s`
    case 'upload':
      return `${budgets.bucket} s per bucket wait`
    case 'distribute':
      return `${budgets.build} s build + ${budgets.distribution} s distribution`
    case 'execute':
      return `${budgets.execution} s`
    case 'results':
      return `${budgets.results} s`
    case 'latency':
      return `${limits.latencyLimit} s`
  }
}

function formatSeconds(seconds: number | null): string {
  return seconds === null ? '–' : `${seconds.toFixed(2)} s`
}

/** Renders a table row, escaping each cell's text and turning its newlines into line breaks. */
function row(cells: string[]): string {
  const escaped = cells.map((cell) => `<td>${escapeHtml(cell).replace(/\n/g, '<br>')}</td>`)
  return `<tr>${escaped.join('')}</tr>`
}

function table(headers: string[], rows: string[]): string {
  const head = `<tr>${headers.map((header) => `<th>${escapeHtml(header)}</th>`).join('')}</tr>`
  return `<table>\n${head}\n${rows.join('\n')}\n</table>`
}
