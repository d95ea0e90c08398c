// Hub states in words, for step reasons and pair logs. Values come from the Hub and are
// plain text here; the report escapes them.

import type { Analysis, AnalysisNode } from '../hub/model.js'

/** For example "status started, progress 40" or "status none yet". */
export function describeProcess(status: string | null, progress: number | null): string {
  const statusText = `status ${status ?? 'none yet'}`
  return progress === null ? statusText : `${statusText}, progress ${progress}`
}

export function describeBuild(analysis: Analysis): string {
  return `build ${describeProcess(analysis.buildStatus, analysis.buildProgress)}`
}

export function describeDistribution(analysis: Analysis): string {
  const registry = analysis.registryId === null ? 'no registry yet' : `registry ${analysis.registryId}`
  return `distribution ${describeProcess(analysis.distributionStatus, analysis.distributionProgress)}, ${registry}`
}

/**
 * Describe each analysis-node in one clause, for example "default-1: approval approved,
 * execution started (progress 10), artifact tag set". A missing artifact tag means the
 * distribution never reached the node.
 */
export function describeAnalysisNodes(nodes: AnalysisNode[], nodeNames: ReadonlyMap<string, string>): string {
  if (nodes.length === 0) return 'the analysis has no analysis-nodes'

  return nodes
    .map((node) => {
      const name = nodeNames.get(node.nodeId) ?? `node ${node.nodeId}`
      const approval = node.approvalStatus ?? 'pending'
      const progress = node.executionProgress === null ? '' : ` (progress ${node.executionProgress})`
      const execution = `${node.executionStatus ?? 'none yet'}${progress}`
      const artifact = node.artifactTag === null ? 'no artifact tag' : 'artifact tag set'
      return `${name}: approval ${approval}, execution ${execution}, ${artifact}`
    })
    .join('; ')
}

/** Seconds with one decimal, for log lines and reasons. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}
