// The history line format shared with the Python predecessor, byte for byte:
// `YYYY-MM-DD HH:MM, <status>, <seconds with 2 decimals>\n`, and an empty duration
// field (the line ends in ", ") when a run has no duration.

export type LineStatus = 'success' | 'failed' | 'unknown'

export interface HistoryEntry {
  /** UTC, minute precision. */
  timestamp: Date
  status: LineStatus
  seconds: number | null
}

const LINE_PATTERN = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}), ([a-z]+), ?(-?\d+(?:\.\d+)?)?$/

/** Format a Date as `YYYY-MM-DD HH:MM` in UTC. */
export function formatTimestamp(date: Date): string {
  const pad = (value: number): string => String(value).padStart(2, '0')
  return (
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`
  )
}

/** Format one history line, without the trailing newline. */
export function formatLine(entry: HistoryEntry): string {
  const seconds = entry.seconds === null || !Number.isFinite(entry.seconds) ? '' : entry.seconds.toFixed(2)
  return `${formatTimestamp(entry.timestamp)}, ${entry.status}, ${seconds}`
}

/**
 * Parse one line, or return undefined for a line that is not in the format. `failure` is
 * read as `failed`, because the predecessor's page accepted it. Any other status is `unknown`.
 */
export function parseLine(line: string): HistoryEntry | undefined {
  const match = LINE_PATTERN.exec(line.replace(/\r$/, ''))
  if (!match) return undefined
  const [, year, month, day, hour, minute, status, seconds] = match
  const timestamp = new Date(Date.UTC(+year!, +month! - 1, +day!, +hour!, +minute!))
  // Date.UTC rolls over out-of-range fields (month 13, minute 60), so compare them back.
  const rolledOver =
    timestamp.getUTCMonth() !== +month! - 1 ||
    timestamp.getUTCDate() !== +day! ||
    timestamp.getUTCHours() !== +hour! ||
    timestamp.getUTCMinutes() !== +minute!
  if (Number.isNaN(timestamp.getTime()) || rolledOver) return undefined
  return {
    timestamp,
    status: lineStatus(status!),
    seconds: seconds === undefined ? null : Number(seconds)
  }
}

function lineStatus(text: string): LineStatus {
  if (text === 'success') return 'success'
  if (text === 'failed' || text === 'failure') return 'failed'
  return 'unknown'
}

export interface ParsedLog {
  entries: HistoryEntry[]
  /** 1-based line numbers and text of lines that are not in the format (kept as they are). */
  invalid: { line: number; text: string }[]
}

export function parseLog(content: string): ParsedLog {
  const entries: HistoryEntry[] = []
  const invalid: ParsedLog['invalid'] = []
  splitLines(content).forEach((text, index) => {
    if (text.trim() === '') return
    const entry = parseLine(text)
    if (entry) entries.push(entry)
    else invalid.push({ line: index + 1, text })
  })
  return { entries, invalid }
}

/**
 * Append lines to a log's content and keep at most `maxLines` lines (the newest).
 * Existing lines are kept byte for byte, including ones not in the format; a missing
 * final newline is added before appending.
 */
export function appendLines(content: string | null, lines: string[], maxLines: number): string {
  const all = [...splitLines(content ?? ''), ...lines]
  const start = Math.max(0, all.length - maxLines)
  return all.slice(start).map((line) => `${line}\n`).join('')
}

function splitLines(content: string): string[] {
  if (content === '') return []
  const lines = content.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return lines
}
