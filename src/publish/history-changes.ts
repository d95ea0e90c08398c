// The round's history lines as a ChangeSet: the commit loop applies them to the log files it
// reads at the branch head, so lines that other runs committed in the meantime stay.

import { posix } from 'node:path'

import { appendLines } from '../history/format.js'
import { logFileName } from '../history/write.js'
import type { ChangeSet } from './changeset.js'

export interface HistoryChangeOptions {
  /** Log folder relative to the repository root, with forward slashes, e.g. `docs/logs`. */
  logDir: string
  /** One line per history key (without newline), as `roundLines()` returns them. */
  lines: ReadonlyMap<string, string>
  /** Lines kept per file after appending; older lines are dropped. */
  maxLines: number
}

/** Repository path of a key's history file, e.g. `docs/logs/login_report.log`. */
export function historyFilePath(logDir: string, key: string): string {
  return posix.join(logDir, logFileName(key))
}

/** Builds the ChangeSet that appends each key's line to its log and rotates it at `maxLines`. */
export function historyChangeSet(options: HistoryChangeOptions): ChangeSet {
  if (!Number.isInteger(options.maxLines) || options.maxLines < 1) {
    throw new Error(`maxLines must be a whole number of at least 1, got ${options.maxLines}.`)
  }
  const logDir = options.logDir.replace(/\\/g, '/').replace(/\/+$/, '')
  if (logDir === '' || logDir.startsWith('/') || logDir.split('/').includes('..')) {
    throw new Error(`Log folder '${options.logDir}' is invalid: give a path inside the repository, e.g. docs/logs.`)
  }

  const lineByPath = new Map([...options.lines].map(([key, line]) => [historyFilePath(logDir, key), line] as const))

  return {
    paths: [...lineByPath.keys()],
    build(current) {
      const files = new Map<string, string>()
      for (const [path, line] of lineByPath) files.set(path, appendLines(current.get(path) ?? null, [line], options.maxLines))
      return files
    }
  }
}
