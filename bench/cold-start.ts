// Cold start: spawn of `node dist/index.js` to the first request the Hub simulator receives,
// and the size of the bundle that a runner loads.

import { distSize, hubInputs, runAction } from './action-process.js'
import { atMost, figureOf, type Figure } from './figures.js'
import { startHubSimulator } from '../simulator/hub/index.js'

/** The simulator logs `METHOD /path STATUS 12ms` when a response closes. */
const REQUEST_LINE = /^[A-Z]+ \S+ \d{3} (\d+)ms$/

export async function measureColdStart(options: { runs: number; scratch: string }): Promise<Figure[]> {
  const delays: number[] = []

  for (let run = 0; run < options.runs; run++) {
    let spawnedAt = 0
    let firstRequestAt: number | undefined
    let reportFirstRequest: () => void = () => undefined
    const firstRequest = new Promise<void>((resolve) => (reportFirstRequest = resolve))

    // The arrival time is the close time minus the handling time the line reports.
    const hub = await startHubSimulator({
      port: 0,
      timeScale: 0.01,
      log: (line) => {
        const match = REQUEST_LINE.exec(line)
        if (match === null || firstRequestAt !== undefined) return
        firstRequestAt = performance.now() - Number(match[1])
        reportFirstRequest()
      }
    })
    try {
      await runAction({
        inputs: { ...hubInputs(hub), nodes: 'aggregator-1, default-1', commit: 'false', 'status-page': 'off' },
        scratch: options.scratch,
        capMs: 30_000,
        onSpawn: (startedAt) => (spawnedAt = startedAt),
        stopWhen: firstRequest
      })
    } finally {
      await hub.stop()
    }
    if (firstRequestAt === undefined) throw new Error('Cold start: the action sent no request to the Hub simulator within 30 s.')
    delays.push(firstRequestAt - spawnedAt)
  }

  const size = distSize()
  return [
    figureOf('Cold start: spawn to first Hub request', delays, 'ms', atMost(150)),
    figureOf('dist/index.js size', [size.entryBytes / 1024], 'KiB'),
    figureOf('dist/ size (with source map and licenses)', [size.folderBytes / 1024], 'KiB')
  ]
}
