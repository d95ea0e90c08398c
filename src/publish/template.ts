// Installs the status page template into the published folder (input `status-page: auto`).
// Existing files are never overwritten, so a consumer's edited config.js or messages.json
// stays as it is; only missing template files are added.

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, posix, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

import type { ChangeSet } from './changeset.js'

export type StatusPageMode = 'auto' | 'off'

/**
 * Finds `docs-template/` at run time. The action runs from its checked-out tag, where the
 * bundle is `dist/index.js` and the template sits next to `dist/`. In tests this module runs
 * from `src/publish/`, two levels below the repository root.
 */
export function findTemplateDir(moduleUrl: string = import.meta.url): string {
  const here = dirname(fileURLToPath(moduleUrl))
  const candidates = [join(here, '..', 'docs-template'), join(here, '..', '..', 'docs-template')]
  const found = candidates.find((candidate) => existsSync(join(candidate, 'index.html')))
  if (found === undefined) {
    throw new Error(
      `Status page template not found: looked for index.html in ${candidates.join(' and ')}. ` +
        "Check out the action's full repository, or set `status-page: off`."
    )
  }
  return found
}

/** Reads every template file (relative path with forward slashes → content). */
export function readTemplateFiles(templateDir: string): Map<string, string> {
  const files = new Map<string, string>()
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.isFile()) files.set(relative(templateDir, path).split(sep).join('/'), readFileSync(path, 'utf8'))
    }
  }
  walk(templateDir)
  return files
}

/**
 * Builds a ChangeSet that adds the template files missing under `targetDir` (repository-relative,
 * default `docs`) and leaves every existing file untouched. Returns null for `off`.
 */
export function templateChangeSet(
  mode: StatusPageMode,
  targetDir = 'docs',
  templateDir: string = findTemplateDir()
): ChangeSet | null {
  if (mode === 'off') return null

  const template = readTemplateFiles(templateDir)
  const targets = new Map([...template].map(([path, content]) => [posix.join(targetDir, path), content]))

  return {
    paths: [...targets.keys()],
    build(current) {
      const missing = new Map<string, string>()
      for (const [path, content] of targets) {
        if (current.has(path) && current.get(path) === null) missing.set(path, content)
      }
      return missing
    }
  }
}
