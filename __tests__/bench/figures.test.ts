// The benchmark's figure summary, target check and table, and one quick commit measurement
// against the GitHub API emulator. No timing is asserted.

import { describe, expect, it } from '@jest/globals'

import { scaledTimingInputs } from '../../bench/action-process.js'
import { measureCommitCost } from '../../bench/commit-cost.js'
import { atMost, failedFigure, figureOf, renderTable, summarize } from '../../bench/figures.js'

describe('summarize', () => {
  it('takes the middle of an odd count', () => {
    expect(summarize([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5, runs: 3 })
  })

  it('averages the middle two of an even count', () => {
    expect(summarize([4, 1, 3, 2]).median).toBe(2.5)
  })

  it('rejects zero measurements', () => {
    expect(() => summarize([])).toThrow('Cannot summarize zero measurements')
  })
})

describe('figureOf', () => {
  it('checks the median against the target', () => {
    expect(figureOf('cold start', [90, 400, 100], 'ms', atMost(150)).met).toBe(true)
    expect(figureOf('cold start', [90, 400, 160], 'ms', atMost(150)).met).toBe(false)
  })

  it('leaves context figures unjudged', () => {
    expect(figureOf('dist size', [2500], 'KiB').met).toBeNull()
  })

  it('fails a target without values', () => {
    const figure = figureOf('cold start', [], 'ms', atMost(150))
    expect(figure.value).toBeNull()
    expect(figure.met).toBe(false)
  })
})

describe('renderTable', () => {
  const table = renderTable([
    figureOf('Scale: wall time | ratio', [6.04], '×', atMost(1.1), { lowerBound: true, note: 'killed at the cap' }),
    figureOf('Overhead', [0.31, 0.42, 0.25], 's', atMost(0.5)),
    failedFigure('Page', 'ms', '≤ 150', 'browser missing')
  ])
  const rows = table.split('\n')

  it('writes a header and one row per figure', () => {
    expect(rows).toHaveLength(5)
    expect(rows[0]).toBe('| Figure | Value | Min – max (runs) | Unit | Target | Met |')
  })

  it('marks lower bounds and escapes pipes', () => {
    expect(rows[2]).toBe('| Scale: wall time \\| ratio (killed at the cap) | > 6.04 |  | × | ≤ 1.1 | **no** |')
  })

  it('shows the range of repeated runs', () => {
    expect(rows[3]).toBe('| Overhead | 0.31 | 0.25 – 0.42 (3) | s | ≤ 0.5 | yes |')
  })

  it('shows a failed measurement', () => {
    expect(rows[4]).toBe('| Page (browser missing) | failed |  | ms | ≤ 150 | **no** |')
  })
})

describe('scaledTimingInputs', () => {
  it('scales budgets and the poll interval', () => {
    const inputs = scaledTimingInputs(0.1)
    expect(inputs['poll-interval']).toBe(String(3 * 0.1))
    expect(inputs['build-timeout']).toBe('12')
    expect(inputs['latency-limit']).toBe('60')
  })

  it('keeps budgets at the minimum', () => {
    expect(scaledTimingInputs(0.01)['bucket-timeout']).toBe('5')
  })
})

describe('measureCommitCost', () => {
  it('counts the API calls of one commit', async () => {
    const figures = await measureCommitCost({ runs: 1, full: false })
    const calls = figures.find((figure) => figure.name === 'Commit of 9 files: GitHub API calls')
    expect(calls?.value).toBeGreaterThanOrEqual(4)
    expect(calls?.unit).toBe('calls')
    expect(calls?.target).toBe('≤ 6')
  }, 30_000)
})
