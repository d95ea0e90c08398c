// The history lines of one round and their files in the workspace. The line building is
// pure, so the commit step can apply the same lines to contents read through the GitHub API.

import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'

import { STEP_KEYS } from '../verdict/overall.js'
import type { RoundVerdicts } from '../verdict/merge.js'
import { appendLines, formatLine, parseLog } from './format.js'

/** Invalid lines reported per file; the rest are only counted, so a broken file cannot flood the log. */
const MAX_INVALID_WARNINGS = 3

/** Lists the history keys in file order: the six steps, then `node_<name>` per configured node. */
export function historyKeys(nodeNames: readonly string[]): string[] {
  return [...STEP_KEYS, ...nodeNames.map((name) => `node_${name}`)]
}

/** File name of a key's history, e.g. `node_default-1_report.log`. */
export function logFileName(key: string): string {
  return `${key}_report.log`
}

/** Path of a key's history file inside `logDir` (joined with the platform's separator). */
export function logPath(logDir: string, key: string): string {
  return path.join(logDir, logFileName(key))
}

/** Truncates the round's start to the minute, the precision of the history timestamp. */
export function roundTimestamp(startedAt: number): Date {
  return new Date(Math.floor(startedAt / 60_000) * 60_000)
}

/** Formats one line per key (without newline), all with the same timestamp, in historyKeys() order. */
export function roundLines(verdicts: RoundVerdicts, startedAt: number): Map<string, string> {
  const timestamp = roundTimestamp(startedAt)
  const lines = new Map<string, string>()

  for (const key of STEP_KEYS) {
    const step = verdicts.steps[key]
    lines.set(key, formatLine({ timestamp, status: step.status, seconds: step.seconds }))
  }
  for (const node of verdicts.nodes) {
    lines.set(`node_${node.name}`, formatLine({ timestamp, status: node.status, seconds: node.seconds }))
  }

  return lines
}

/** A history file that exists but cannot be read; the round's lines are not written over it. */
export class HistoryReadError extends Error {
  override readonly name = 'HistoryReadError'
}

export interface WrittenLog {
  key: string
  path: string
  /** Lines in the file after the write. */
  lineCount: number
  /** Existing lines that are not history lines (kept as they are). */
  invalidLines: number
}

export interface WriteHistoryOptions {
  logDir: string
  lines: ReadonlyMap<string, string>
  maxLines: number
  warning: (message: string) => void
}

/**
 * Appends each key's line to its file in `logDir` and keeps the newest `maxLines` lines.
 * Each file is replaced atomically (temp file in the same folder, then rename). Existing
 * lines that are not in the history format stay as they are and are reported through
 * `warning`. Throws HistoryReadError for an existing file that cannot be read, before any
 * file is written.
 */
export async function writeHistory(options: WriteHistoryOptions): Promise<WrittenLog[]> {
  await mkdir(options.logDir, { recursive: true })

  const contents = new Map<string, string | null>()
  for (const key of options.lines.keys()) contents.set(key, await readExisting(logPath(options.logDir, key)))

  const written: WrittenLog[] = []
  for (const [key, line] of options.lines) {
    const file = logPath(options.logDir, key)
    const current = contents.get(key) ?? null
    const invalid = current === null ? [] : parseLog(current).invalid
    reportInvalidLines(file, invalid, options.warning)

    const next = appendLines(current, [line], options.maxLines)
    await writeAtomically(file, next)
    written.push({ key, path: file, lineCount: countLines(next), invalidLines: invalid.length })
  }

  return written
}

async function readExisting(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return null
    throw new HistoryReadError(
      `Cannot read the history file '${file}' (${code ?? String(error)}). Fix its permissions or remove it; ` +
        'no history line was written.',
      { cause: error }
    )
  }
}

function reportInvalidLines(
  file: string,
  invalid: readonly { line: number; text: string }[],
  warning: (message: string) => void
): void {
  for (const entry of invalid.slice(0, MAX_INVALID_WARNINGS)) {
    warning(`${file} line ${entry.line} is not a history line and was kept as is: ${JSON.stringify(entry.text)}`)
  }
  if (invalid.length > MAX_INVALID_WARNINGS) {
    warning(`${file} has ${invalid.length - MAX_INVALID_WARNINGS} more lines that are not history lines (kept as is).`)
  }
}

/** Writes a file through a temporary file and a rename, so a crash never leaves it half written. */
export async function writeAtomically(file: string, content: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    await writeFile(temp, content, 'utf8')
    await rename(temp, file)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
}

function countLines(content: string): number {
  return content === '' ? 0 : content.split('\n').length - 1
}
