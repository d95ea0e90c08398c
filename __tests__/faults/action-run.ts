// Runs the bundled action (ncc's index.js) as a runner does: INPUT_* variables, the
// GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files and a workspace. It can signal the process when
// its output shows a text, as a runner does on cancellation.

import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { parseOutputFile } from '../../simulator/runner-files.js'

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** Serializes builds across jest workers and test files. */
const BUILD_LOCK = path.join(tmpdir(), 'flame-status-action-faults-build.lock')

/**
 * Builds the action with ncc, as `npm run build` does, into a private folder keyed by a hash
 * of src/ and flame_checks/, and returns the path of its index.js. Other helpers rebuild the
 * shared dist/ at any time, so a test that spawned dist/ could run a bundle of other sources.
 * The bundled script is found through a `flame_checks` link next to the private dist folder.
 */
export async function buildAction(): Promise<string> {
  const folder = path.join(tmpdir(), `flame-status-action-${sourceHash()}`)
  const entry = path.join(folder, 'dist', 'index.js')
  if (existsSync(entry)) return entry

  await acquireBuildLock()
  try {
    if (existsSync(entry)) return entry
    const build = spawnSync('npx', ['ncc', 'build', 'src/index.ts', '-o', path.join(folder, 'dist')], { cwd: REPO_ROOT, encoding: 'utf8' })
    if (build.status !== 0) throw new Error(`ncc build failed:\n${build.stdout}\n${build.stderr}`)
    rmSync(path.join(folder, 'flame_checks'), { force: true })
    symlinkSync(path.join(REPO_ROOT, 'flame_checks'), path.join(folder, 'flame_checks'))
    return entry
  } finally {
    rmdirSync(BUILD_LOCK)
  }
}

async function acquireBuildLock(): Promise<void> {
  const startedAt = Date.now()
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK)
      return
    } catch {
      if (Date.now() - startedAt > 240_000) throw new Error(`The build lock ${BUILD_LOCK} is still held after 240 s; remove it.`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
}

/** Hashes the paths and contents of every file the bundle is built from. */
function sourceHash(): string {
  const hash = createHash('sha256')
  for (const folder of ['src', 'flame_checks']) {
    const files = readdirSync(path.join(REPO_ROOT, folder), { withFileTypes: true, recursive: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.join(entry.parentPath, entry.name))
      .sort()
    for (const file of files) hash.update(`${path.relative(REPO_ROOT, file)}\0`).update(readFileSync(file))
  }
  return hash.digest('hex').slice(0, 16)
}

/** A signal the test sends once the action's output contains `text`, `delayMs` later. */
export interface PlannedSignal {
  text: string
  delayMs: number
  signal: NodeJS.Signals
}

export interface RunActionOptions {
  /** Extra environment variables, e.g. GITHUB_API_URL for the GitHub emulator. */
  env?: Record<string, string>
  /** Signals in order. Each waits for its text in the output after the previous signal was sent ('' matches at once). */
  signals?: PlannedSignal[]
  /** Prepares the workspace before the run (e.g. existing history files). */
  prepareWorkspace?: (workspace: string) => void
  /** Parent folder of the workspace; a fresh temporary folder by default. */
  scratch?: string
}

export interface ActionRun {
  /** Null when a signal ended the process. */
  exitCode: number | null
  /** The signal that ended the process, if one did. */
  killedBy: NodeJS.Signals | null
  stdout: string
  stderr: string
  outputs: Map<string, string>
  summary: string
  workspace: string
  /** History file name → its content. */
  logs: Map<string, string>
  /** Milliseconds from the first planned signal to the exit, or null without signals. */
  msFromFirstSignal: number | null
}

/** Spawns the action bundle `entry` with `inputs` as INPUT_* variables and collects what it wrote. */
export async function runAction(entry: string, inputs: Record<string, string>, options: RunActionOptions = {}): Promise<ActionRun> {
  const workspace = mkdtempSync(path.join(options.scratch ?? tmpdir(), 'faults-workspace-'))
  const runnerDir = path.join(workspace, '.runner')
  mkdirSync(runnerDir)
  const outputFile = path.join(runnerDir, 'output.txt')
  const summaryFile = path.join(runnerDir, 'summary.md')
  writeFileSync(outputFile, '')
  writeFileSync(summaryFile, '')
  options.prepareWorkspace?.(workspace)

  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  Object.assign(env, {
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: runnerDir,
    ...options.env
  })

  const result = await new Promise<{ exitCode: number | null; killedBy: NodeJS.Signals | null; stdout: string; stderr: string; msFromFirstSignal: number | null }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, [entry], { cwd: workspace, env })
      const pending = [...(options.signals ?? [])]
      let stdout = ''
      let stderr = ''
      let firstSignalAt: number | null = null
      let searchFrom = 0
      const timers: NodeJS.Timeout[] = []

      // Each planned signal waits for its text in the output written after the previous signal.
      let scheduled = false
      const check = (): void => {
        const next = pending[0]
        if (next === undefined || scheduled) return
        const found = stdout.indexOf(next.text, searchFrom)
        if (found === -1) return
        pending.shift()
        searchFrom = found + next.text.length
        scheduled = true
        timers.push(
          setTimeout(() => {
            scheduled = false
            firstSignalAt ??= Date.now()
            child.kill(next.signal)
            check()
          }, next.delayMs)
        )
      }

      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8')
        check()
      })
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
      child.on('error', reject)
      child.on('close', (code, signal) => {
        for (const timer of timers) clearTimeout(timer)
        resolve({
          exitCode: code,
          killedBy: signal,
          stdout,
          stderr,
          msFromFirstSignal: firstSignalAt === null ? null : Date.now() - firstSignalAt
        })
      })
    }
  )

  return {
    ...result,
    outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
    summary: readFileSync(summaryFile, 'utf8'),
    workspace,
    logs: readLogs(path.join(workspace, inputs['log-dir'] ?? path.join('docs', 'logs')))
  }
}

function readLogs(folder: string): Map<string, string> {
  const logs = new Map<string, string>()
  let names: string[]
  try {
    names = readdirSync(folder).sort()
  } catch {
    return logs
  }
  for (const name of names) {
    if (name.endsWith('_report.log') && statSync(path.join(folder, name)).isFile()) {
      logs.set(name, readFileSync(path.join(folder, name), 'utf8'))
    }
  }
  return logs
}

/** Selects the `::error` workflow command lines of a run's stdout. */
export function errorLines(stdout: string): string[] {
  return stdout.split('\n').filter((line) => line.startsWith('::error'))
}
