// The status page's part of a run: the ChangeSets for status.json, badges and the template,
// and writing them into the workspace when the action does not commit (`commit: false`), so
// a workflow's own git step publishes the same files.

import { mkdir, readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'

import { writeAtomically } from '../history/write.js'
import type { ChangeSet } from './changeset.js'
import { artifactPaths, artifactRoot, statusArtifactsChangeSet } from './status-artifacts.js'
import { templateChangeSet, type StatusPageMode } from './template.js'

export interface StatusPageOptions {
  /** Repository-relative log directory (forward slashes), e.g. `docs/logs`. */
  logDir: string
  /** Configured node names, the aggregator included. */
  nodes: readonly string[]
  /** Aggregator's name from the round; null when login failed before the node split. */
  aggregator: string | null
  /** The action's `latency-limit` in seconds. */
  latencyLimitSeconds: number
  /** Input `status-page`: `auto` adds missing template files, `off` adds none. */
  mode: StatusPageMode
  /** Milliseconds since the epoch. */
  now: number
}

/**
 * Builds the ChangeSets to commit after the history ChangeSet: the artifacts (recomputed from
 * the log contents the history ChangeSet produced) and, unless `off`, the missing template
 * files in the log directory's parent.
 */
export function statusPageChangeSets(options: StatusPageOptions): ChangeSet[] {
  const artifacts = statusArtifactsChangeSet({
    logDir: options.logDir,
    nodes: options.nodes,
    aggregator: options.aggregator,
    now: options.now,
    latencyLimitSeconds: options.latencyLimitSeconds
  })
  const template = templateChangeSet(options.mode, artifactRoot(options.logDir))
  return template === null ? [artifacts] : [artifacts, template]
}

/** Repository-relative paths the status page ChangeSets can write, for the workspace copy. */
export function statusPagePaths(options: StatusPageOptions, changeSets: readonly ChangeSet[]): string[] {
  return [...artifactPaths(options.logDir, options.nodes), ...changeSets.flatMap((changeSet) => changeSet.paths)]
}

/**
 * Applies ChangeSets to the files in `workspace` (read, build, write each changed file via a
 * temporary file and rename). Returns the repository-relative paths written.
 */
export async function writeChangeSetsToWorkspace(workspace: string, changeSets: readonly ChangeSet[]): Promise<string[]> {
  const written: string[] = []
  for (const changeSet of changeSets) {
    const current = new Map<string, string | null>()
    for (const path of changeSet.paths) current.set(path, await readOrNull(join(workspace, path)))

    for (const [path, content] of changeSet.build(current)) {
      // Outputs outside `paths` (status.json, badges) are compared with the disk as well.
      const file = join(workspace, path)
      const before = current.has(path) ? current.get(path) : await readOrNull(file)
      if (before === content) continue

      await mkdir(dirname(file), { recursive: true })
      await writeAtomically(file, content)
      written.push(path)
    }
  }
  return written
}

async function readOrNull(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}
