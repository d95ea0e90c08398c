// The action's outputs and the `report` JSON behind them, built from the same verdicts as
// the history lines and the job summary.

import * as core from '@actions/core'

import type { RoundRecord } from '../round/record.js'
import type { RoundBudgets } from '../round/settings.js'
import { downNodes, type RoundVerdicts } from '../verdict/merge.js'
import { STEP_KEYS, type OverallStatus, type StepKey } from '../verdict/overall.js'
import type { LineStatus } from '../history/format.js'

/** The budgets the summary and the report show next to each step. */
export interface ReportLimits {
  budgets: RoundBudgets
  latencyLimit: number
}

/** Everything about one round, as the `report` output publishes it. */
export interface RoundReport {
  status: OverallStatus
  startedAt: string
  endedAt: string
  durationSeconds: number
  cancelled: boolean
  hub: RoundRecord['hub']
  project: { name: string; id: string | null; staleAnalysesDeleted: number }
  masterImage: { id: string; virtualPath: string } | null
  aggregator: string | null
  steps: Record<StepKey, { status: LineStatus; seconds: number | null; reasons: string[] }>
  nodes: Record<string, { status: LineStatus; seconds: number | null; reason: string | null; role: string }>
  downNodes: string[]
  pairs: {
    node: string
    nodeId: string | null
    analysisId: string | null
    precheck: RoundRecord['pairs'][number]['precheck']
    failedStep: string | null
    latencySeconds: number | null
    cleanup: string
    startedAt: string | null
    endedAt: string | null
    steps: RoundRecord['pairs'][number]['steps']
  }[]
  limits: ReportLimits
  onlineFlagNote: string | null
  notes: string[]
}

export function buildReport(record: RoundRecord, verdicts: RoundVerdicts, limits: ReportLimits): RoundReport {
  return {
    status: verdicts.overall,
    startedAt: new Date(record.startedAt).toISOString(),
    endedAt: new Date(record.endedAt).toISOString(),
    durationSeconds: roundSeconds((record.endedAt - record.startedAt) / 1000),
    cancelled: record.cancelled,
    hub: record.hub,
    project: {
      name: record.setup.projectName,
      id: record.setup.projectId,
      staleAnalysesDeleted: record.setup.staleAnalysesDeleted
    },
    masterImage: record.setup.masterImage,
    aggregator: record.aggregator?.name ?? null,
    steps: Object.fromEntries(
      STEP_KEYS.map((key) => {
        const step = verdicts.steps[key]
        return [key, { status: step.status, seconds: roundOrNull(step.seconds), reasons: step.reasons }]
      })
    ) as RoundReport['steps'],
    nodes: Object.fromEntries(
      verdicts.nodes.map((node) => [
        node.name,
        { status: node.status, seconds: roundOrNull(node.seconds), reason: node.reason, role: node.role }
      ])
    ),
    downNodes: downNodes(verdicts),
    pairs: record.pairs.map((pair) => ({
      node: pair.node,
      nodeId: pair.nodeId,
      analysisId: pair.analysisId,
      precheck: pair.precheck,
      failedStep: pair.failedStep,
      latencySeconds: roundOrNull(pair.latencySeconds),
      cleanup: pair.cleanup,
      startedAt: pair.startedAt === null ? null : new Date(pair.startedAt).toISOString(),
      endedAt: pair.endedAt === null ? null : new Date(pair.endedAt).toISOString(),
      steps: pair.steps
    })),
    limits,
    onlineFlagNote: record.onlineFlagNote,
    notes: record.notes
  }
}

/** Output name → value, as written to GITHUB_OUTPUT. */
export function buildOutputs(report: RoundReport): Record<string, string> {
  const steps = Object.fromEntries(STEP_KEYS.map((key) => [key, report.steps[key].status]))
  const nodes = Object.fromEntries(
    Object.entries(report.nodes).map(([name, node]) => [
      name,
      { status: node.status, seconds: node.seconds, reason: node.reason }
    ])
  )

  return {
    status: report.status,
    steps: JSON.stringify(steps),
    nodes: JSON.stringify(nodes),
    'down-nodes': report.downNodes.join(','),
    duration: report.durationSeconds.toFixed(2),
    'hub-version': report.hub.version ?? '',
    report: JSON.stringify(report)
  }
}

export function setOutputs(outputs: Record<string, string>): void {
  for (const [name, value] of Object.entries(outputs)) core.setOutput(name, value)
}

function roundSeconds(seconds: number): number {
  return Math.round(seconds * 100) / 100
}

function roundOrNull(seconds: number | null): number | null {
  return seconds === null ? null : roundSeconds(seconds)
}
