// Benchmark figures: the summary of repeated measurements, the target check, and the
// Markdown table and JSON file that `npm run bench` writes.

export interface Figure {
  name: string
  /** Median of the runs, or null when the measurement failed (see `note`). */
  value: number | null
  unit: string
  /** Target as text, e.g. `≤ 150`, or empty for a figure that only gives context. */
  target: string
  /** Whether the value meets the target, or null when there is no target or no value. */
  met: boolean | null
  min?: number
  max?: number
  /** Number of measurements behind `value`. */
  runs?: number
  /** True when the run hit its wall-clock cap, so `value` is only a lower bound. */
  lowerBound?: boolean
  note?: string
}

export interface Summary {
  median: number
  min: number
  max: number
  runs: number
}

/** Summarizes repeated measurements. The median of an even count is the mean of the middle two. */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error('Cannot summarize zero measurements: run at least one.')

  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: sorted.length }
}

/** Target of the form "at most `limit`". */
export function atMost(limit: number): { target: string; check: (value: number) => boolean } {
  return { target: `≤ ${formatNumber(limit)}`, check: (value) => value <= limit }
}

/** Builds a figure from measurements, without a target for a figure that only gives context. */
export function figureOf(
  name: string,
  values: readonly number[],
  unit: string,
  target?: { target: string; check: (value: number) => boolean },
  extra: Pick<Figure, 'lowerBound' | 'note'> = {}
): Figure {
  if (values.length === 0) {
    return { name, value: null, unit, target: target?.target ?? '', met: target ? false : null, ...extra }
  }

  const { median, min, max, runs } = summarize(values)
  const met = target === undefined ? null : target.check(median)
  return { name, value: median, unit, target: target?.target ?? '', met, min, max, runs, ...extra }
}

/** Builds a figure whose measurement failed: no value, target not met when there is one. */
export function failedFigure(name: string, unit: string, target: string, note: string): Figure {
  return { name, value: null, unit, target, met: target === '' ? null : false, note }
}

/** Formats a value with three significant digits, or as a whole number from 100 on. */
export function formatNumber(value: number): string {
  if (Math.abs(value) >= 100) return String(Math.round(value))
  return String(Number(value.toPrecision(3)))
}

function formatValue(figure: Figure): string {
  if (figure.value === null) return 'failed'
  const prefix = figure.lowerBound === true ? '> ' : ''
  return `${prefix}${formatNumber(figure.value)}`
}

function formatRange(figure: Figure): string {
  if (figure.min === undefined || figure.max === undefined || (figure.runs ?? 1) < 2) return ''
  return `${formatNumber(figure.min)} – ${formatNumber(figure.max)} (${figure.runs})`
}

function formatMet(figure: Figure): string {
  if (figure.met === null) return ''
  return figure.met ? 'yes' : '**no**'
}

/** Renders the figures as a Markdown table with one row per figure. */
export function renderTable(figures: readonly Figure[]): string {
  const rows = [
    '| Figure | Value | Min – max (runs) | Unit | Target | Met |',
    '|---|---:|---:|---|---|---|',
    ...figures.map((figure) => {
      const name = figure.note === undefined ? figure.name : `${figure.name} (${figure.note})`
      const cells = [name, formatValue(figure), formatRange(figure), figure.unit, figure.target, formatMet(figure)]
      return `| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`
    })
  ]
  return rows.join('\n')
}
