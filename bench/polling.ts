// Detection overhead and Hub requests per pair, adaptive against fixed polling, on identical
// simulated rounds. The simulator runs at a reduced time scale and the poll interval is scaled
// by the same factor, so every figure converts back to real-scale seconds.

import { hubInputs, runAction, scaledTimingInputs } from './action-process.js'
import { atMost, figureOf, formatNumber, type Figure } from './figures.js'
import { startHubSimulator } from '../simulator/hub/index.js'

type PollingMode = 'adaptive' | 'fixed'

const NODES = ['aggregator-1', 'default-1', 'default-2']

/** Largest share of the fixed poller's requests that adaptive polling may send (one third). */
const REQUEST_SHARE_TARGET = 1 / 3

interface PairReport {
  node: string
  analysisId: string | null
  steps: { latency?: { status: string; seconds: number | null } }
}

interface ModeSamples {
  /** Real-scale seconds per pair: its time to the verified result minus the Hub's inherent time. */
  overheads: number[]
  requestsPerPair: number[]
  failures: string[]
}

/** Plays one round in `mode` against a fresh simulator and adds its samples. */
async function playRound(mode: PollingMode, timeScale: number, scratch: string, samples: ModeSamples): Promise<void> {
  const hub = await startHubSimulator({ port: 0, timeScale })
  try {
    const run = await runAction({
      inputs: {
        ...hubInputs(hub),
        ...scaledTimingInputs(timeScale),
        nodes: NODES.join(', '),
        polling: mode,
        commit: 'false',
        'status-page': 'off'
      },
      scratch,
      capMs: 120_000
    })

    const report = JSON.parse(run.outputs.get('report') ?? '{"pairs":[]}') as { status?: string; pairs: PairReport[] }
    if (run.exitCode !== 0 || report.status !== 'operational') {
      samples.failures.push(`${mode} round ended with exit code ${String(run.exitCode)} and status ${report.status ?? 'none'}`)
      return
    }

    const inherent = hub.inherentSeconds()
    for (const pair of report.pairs) {
      const wallSeconds = pair.steps.latency?.seconds
      const hubSeconds = pair.analysisId === null ? undefined : inherent[pair.analysisId]
      if (wallSeconds === null || wallSeconds === undefined || hubSeconds === undefined) {
        samples.failures.push(`${mode} pair ${pair.node} has no latency or no inherent time`)
        continue
      }
      samples.overheads.push(wallSeconds / timeScale - hubSeconds)
    }
    samples.requestsPerPair.push(hub.stats().total / report.pairs.length)
  } finally {
    await hub.stop()
  }
}

/**
 * Runs `runs` rounds per mode, alternating the modes so both see the same machine load.
 * Requests per pair are the round's Hub requests (login and setup included) over its pairs.
 */
export async function measurePolling(options: { runs: number; timeScale: number; scratch: string }): Promise<Figure[]> {
  const samples: Record<PollingMode, ModeSamples> = {
    adaptive: { overheads: [], requestsPerPair: [], failures: [] },
    fixed: { overheads: [], requestsPerPair: [], failures: [] }
  }
  for (let run = 0; run < options.runs; run++) {
    for (const mode of ['adaptive', 'fixed'] as const) await playRound(mode, options.timeScale, options.scratch, samples[mode])
  }

  const scale = `time scale ${formatNumber(options.timeScale)}, ${NODES.length - 1} pairs per round`
  const note = (mode: PollingMode): string | undefined =>
    samples[mode].failures.length === 0 ? undefined : `${samples[mode].failures.length} failed: ${samples[mode].failures[0]}`

  const adaptiveOverhead = figureOf(`Detection overhead per pair, adaptive (${scale})`, samples.adaptive.overheads, 's', atMost(0.5), {
    note: note('adaptive')
  })
  const fixedOverhead = figureOf(`Detection overhead per pair, fixed poller (${scale})`, samples.fixed.overheads, 's', undefined, {
    note: note('fixed')
  })
  const adaptiveRequests = figureOf('Hub requests per pair, adaptive', samples.adaptive.requestsPerPair, 'requests')
  const fixedRequests = figureOf('Hub requests per pair, fixed poller', samples.fixed.requestsPerPair, 'requests')

  // The ratio of medians; the target also needs the adaptive overhead at or below the fixed one.
  const share: Figure = {
    name: 'Hub requests per pair, adaptive over fixed (at equal or lower overhead)',
    value: null,
    unit: 'ratio',
    target: `≤ ${formatNumber(REQUEST_SHARE_TARGET)}`,
    met: false
  }
  if (adaptiveRequests.value !== null && fixedRequests.value !== null && fixedRequests.value > 0) {
    share.value = adaptiveRequests.value / fixedRequests.value
    const overheadNotWorse =
      adaptiveOverhead.value !== null && fixedOverhead.value !== null && adaptiveOverhead.value <= fixedOverhead.value
    share.met = share.value <= REQUEST_SHARE_TARGET && overheadNotWorse
    if (!overheadNotWorse) share.note = 'adaptive overhead is above the fixed poller’s'
  }

  return [adaptiveOverhead, fixedOverhead, adaptiveRequests, fixedRequests, share]
}
