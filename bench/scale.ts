// Scale: rounds with 1 to 300 compute nodes against a simulator that enforces the Hub's user
// rate limit (6000 requests per 60 s window, 429 beyond). Each round runs once.

import { hubInputs, runAction, scaledTimingInputs } from './action-process.js'
import { atMost, figureOf, formatNumber, type Figure } from './figures.js'
import { startHubSimulator } from '../simulator/hub/index.js'

/** The Hub's default limit for a user. */
const HUB_RATE_LIMIT_PER_MINUTE = 6000

interface ScaleSample {
  computeNodes: number
  wallMs: number
  killed: boolean
  peakRssMiB: number | null
  peakConcurrent: number
  rateLimited: number
  requests: number
  /** Requests that remove a node from an analysis, which a pair sends for every other project node. */
  nodeRemovals: number
  status: string
}

async function playRound(computeNodes: number, timeScale: number, capMs: number, scratch: string): Promise<ScaleSample> {
  // The simulator always has default-1 and default-2; extra nodes are default-3 and up.
  const hub = await startHubSimulator({
    port: 0,
    timeScale,
    extraNodes: Math.max(0, computeNodes - 2),
    rateLimitPerMinute: HUB_RATE_LIMIT_PER_MINUTE
  })
  const nodes = ['aggregator-1', ...Array.from({ length: computeNodes }, (_, index) => `default-${index + 1}`)]
  try {
    const run = await runAction({
      inputs: {
        ...hubInputs(hub),
        ...scaledTimingInputs(timeScale),
        nodes: nodes.join(', '),
        commit: 'false',
        'status-page': 'off'
      },
      scratch,
      capMs
    })
    const stats = hub.stats()
    return {
      computeNodes,
      wallMs: run.wallMs,
      killed: run.killed,
      peakRssMiB: run.peakRssKiB === null ? null : run.peakRssKiB / 1024,
      peakConcurrent: stats.peakConcurrent,
      rateLimited: stats.rateLimited,
      requests: stats.total,
      nodeRemovals: stats.byEndpoint['DELETE /core/analysis-nodes/:id'] ?? 0,
      status: run.killed ? 'killed at the cap' : (run.outputs.get('status') ?? `exit code ${String(run.exitCode)}`)
    }
  } finally {
    await hub.stop()
  }
}

/**
 * Plays one round per size, the first size being the baseline of the wall-time ratio. A round
 * that reaches `capMs` is killed, and its ratio is a lower bound.
 */
export async function measureScale(options: {
  sizes: number[]
  timeScale: number
  capMs: number
  scratch: string
}): Promise<Figure[]> {
  const samples: ScaleSample[] = []
  for (const size of options.sizes) samples.push(await playRound(size, options.timeScale, options.capMs, options.scratch))

  const baseline = samples[0]!
  const largest = options.sizes[options.sizes.length - 1]!
  const figures: Figure[] = []
  for (const sample of samples) {
    const label = `${sample.computeNodes} compute node${sample.computeNodes === 1 ? '' : 's'}`
    const note = sample.status === 'operational' ? undefined : sample.status
    const ratioTarget = sample.computeNodes === largest && sample !== baseline ? atMost(1.1) : undefined

    figures.push(
      figureOf(`Scale ${label}: wall time relative to ${baseline.computeNodes} node`, [sample.wallMs / baseline.wallMs], '×', ratioTarget, {
        lowerBound: sample.killed,
        note
      }),
      figureOf(`Scale ${label}: wall time (time scale ${formatNumber(options.timeScale)})`, [sample.wallMs / 1000], 's', undefined, {
        lowerBound: sample.killed
      }),
      figureOf(`Scale ${label}: peak RSS of the action`, sample.peakRssMiB === null ? [] : [sample.peakRssMiB], 'MiB', atMost(200)),
      figureOf(`Scale ${label}: peak concurrent Hub requests`, [sample.peakConcurrent], 'requests'),
      figureOf(`Scale ${label}: 429 responses`, [sample.rateLimited], 'responses', atMost(0)),
      figureOf(`Scale ${label}: Hub requests in the round`, [sample.requests], 'requests', undefined, { lowerBound: sample.killed }),
      figureOf(`Scale ${label}: of them, analysis-node removals`, [sample.nodeRemovals], 'requests', undefined, { lowerBound: sample.killed })
    )
  }
  return figures
}
