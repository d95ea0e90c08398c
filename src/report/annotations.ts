// Annotations for failed steps and nodes. GitHub shows at most 10 errors and 10 warnings
// per step, so surplus annotations of one level are folded into the last one shown.

import * as core from '@actions/core'

import type { RoundVerdicts } from '../verdict/merge.js'
import { STEP_KEYS } from '../verdict/overall.js'

/** Annotations GitHub displays per level and step. */
export const MAX_ANNOTATIONS_PER_LEVEL = 10

export interface Annotation {
  level: 'error' | 'warning'
  title: string
  message: string
}

/**
 * Builds one error per failed step and per failed node, and a warning per unknown node and
 * for a latency over the limit, because the pairs still passed then. Each level is capped.
 */
export function buildAnnotations(verdicts: RoundVerdicts): Annotation[] {
  const annotations: Annotation[] = []

  for (const key of STEP_KEYS) {
    const step = verdicts.steps[key]
    if (step.status !== 'failed') continue
    const level = key === 'latency' ? 'warning' : 'error'
    const message = step.reasons.length > 0 ? step.reasons.join('\n') : `The ${key} step failed.`
    annotations.push({ level, title: `FLAME step ${key} failed`, message })
  }

  for (const node of verdicts.nodes) {
    if (node.status === 'failed') {
      annotations.push({ level: 'error', title: `FLAME node ${node.name} is down`, message: node.reason ?? 'failed' })
    } else if (node.status === 'unknown') {
      const message = node.reason ?? 'The round did not reach this node.'
      annotations.push({ level: 'warning', title: `FLAME node ${node.name} is unknown`, message })
    }
  }

  return [...capLevel(annotations, 'error'), ...capLevel(annotations, 'warning')]
}

export function emitAnnotations(annotations: readonly Annotation[]): void {
  for (const annotation of annotations) {
    if (annotation.level === 'error') core.error(annotation.message, { title: annotation.title })
    else core.warning(annotation.message, { title: annotation.title })
  }
}

function capLevel(annotations: readonly Annotation[], level: Annotation['level']): Annotation[] {
  const ofLevel = annotations.filter((annotation) => annotation.level === level)
  if (ofLevel.length <= MAX_ANNOTATIONS_PER_LEVEL) return ofLevel

  const shown = ofLevel.slice(0, MAX_ANNOTATIONS_PER_LEVEL - 1)
  const folded = ofLevel.slice(MAX_ANNOTATIONS_PER_LEVEL - 1)
  shown.push({
    level,
    title: `${folded.length} more FLAME ${level}s`,
    message: folded.map((annotation) => `${annotation.title}: ${annotation.message}`).join('\n')
  })
  return shown
}
