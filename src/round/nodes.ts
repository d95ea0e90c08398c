// Matching the configured node names to the Hub's nodes, and the pre-check that decides
// whether a compute node gets an analysis at all.

import type { HubNode } from '../hub/model.js'
import type { PrecheckOutcome } from './record.js'
import type { PrecheckMode } from './settings.js'

export type NodeSplit =
  | { ok: true; aggregator: HubNode; computeNames: string[] }
  | { ok: false; misconfiguration: string }

/** Configured names without repeats, in their first order. */
export function uniqueNames(names: string[]): string[] {
  return [...new Set(names)]
}

/** Find the Hub node with this exact name, preferring a visible node over a hidden one of the same name. */
export function findNode(hubNodes: HubNode[], name: string): HubNode | undefined {
  const matches = hubNodes.filter((node) => node.name === name)
  return matches.find((node) => !node.hidden) ?? matches[0]
}

/**
 * Split the configured names into the one aggregator (by the Hub's node type) and the
 * compute nodes. Names the Hub does not know stay compute names, so their pre-check can
 * record them as failed instead of skipping them silently.
 */
export function splitNodes(configured: string[], hubNodes: HubNode[]): NodeSplit {
  const names = uniqueNames(configured)
  const aggregators = names.map((name) => findNode(hubNodes, name)).filter((node): node is HubNode => node?.type === 'aggregator')

  if (aggregators.length === 0) {
    const unknown = names.filter((name) => findNode(hubNodes, name) === undefined)
    const unknownText = unknown.length === 0 ? '' : ` (the Hub does not know ${unknown.join(', ')})`
    return {
      ok: false,
      misconfiguration: `none of the configured nodes ${names.join(', ')} is an aggregator on the Hub${unknownText}`
    }
  }
  if (aggregators.length > 1) {
    const aggregatorNames = aggregators.map((node) => node.name).join(', ')
    return {
      ok: false,
      misconfiguration: `the configured nodes include ${aggregators.length} aggregators (${aggregatorNames}), but a round needs exactly one`
    }
  }

  const aggregator = aggregators[0]!
  const computeNames = names.filter((name) => name !== aggregator.name)
  if (computeNames.length === 0) {
    return { ok: false, misconfiguration: `the configured nodes name only the aggregator ${aggregator.name} and no compute node` }
  }
  return { ok: true, aggregator, computeNames }
}

export interface OnlineFlagUse {
  /** Whether the pre-check requires `online: true`. */
  required: boolean
  /** Sentence for the summary about the flag's use. */
  note: string
}

/**
 * Decide how the pre-check treats the Hub's `online` flag. Current Hubs never write it (it
 * stays false), so `auto` uses it only when at least one listed node reports online.
 */
export function decideOnlineFlagUse(mode: PrecheckMode, hubNodes: HubNode[]): OnlineFlagUse {
  const onlineCount = hubNodes.filter((node) => node.online).length

  if (mode === 'off') {
    return { required: false, note: 'The pre-check ignored the online flag (precheck: off).' }
  }
  if (mode === 'online') {
    return {
      required: true,
      note: `The pre-check requires online: true (precheck: online); the Hub reports ${onlineCount} of ${hubNodes.length} nodes online.`
    }
  }
  if (onlineCount > 0) {
    return {
      required: true,
      note: `The Hub maintains the online flag (${onlineCount} of ${hubNodes.length} nodes online), so nodes reported offline were not run.`
    }
  }
  return {
    required: false,
    note: `The Hub reports online: false for all ${hubNodes.length} nodes, so the pre-check ignored the flag.`
  }
}

/**
 * Check a compute node before an analysis is spent on it. The name and registry checks
 * always apply, because a run cannot succeed without either; the precheck mode only
 * decides about the `online` flag (through `onlineRequired`).
 */
export function precheckNode(name: string, node: HubNode | undefined, onlineRequired: boolean): PrecheckOutcome {
  if (node === undefined) {
    return { passed: false, cause: 'unknown-node', reason: `node ${name} is not registered on the Hub` }
  }
  if (node.registryId === null) {
    return {
      passed: false,
      cause: 'no-registry',
      reason: `node ${name} has no registry assigned on the Hub, so the analysis image cannot be distributed to it`
    }
  }
  if (onlineRequired && !node.online) {
    return { passed: false, cause: 'offline', reason: `the Hub reports node ${name} as offline (online: false)` }
  }
  return { passed: true }
}
