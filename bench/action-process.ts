// Runs the bundled action (node dist/index.js) the way a GitHub runner does, and measures the
// process: wall time, peak resident memory and, on request, the moment it is killed.

import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import type { HubSimulator } from '../simulator/hub/index.js'
import { parseOutputFile } from '../simulator/runner-files.js'

export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url))
export const DIST_DIR = path.join(REPO_ROOT, 'dist')
export const DIST_ENTRY = path.join(DIST_DIR, 'index.js')

/** Gap between two reads of /proc/<pid>/status. VmHWM only grows, so the last read is the peak up to then. */
const RSS_SAMPLE_MS = 50

export interface ActionRun {
  exitCode: number | null
  /** Spawn to exit (or to the kill), in milliseconds. */
  wallMs: number
  /** Peak resident set size in KiB from VmHWM, or null when /proc could not be read. */
  peakRssKiB: number | null
  /** True when the run hit `capMs` and was killed. */
  killed: boolean
  outputs: Map<string, string>
  /** stdout and stderr, interleaved. */
  log: string
}

export interface ActionRunOptions {
  /** Inputs by name as in action.yml; each becomes an INPUT_<NAME> variable. */
  inputs: Record<string, string>
  /** Folder for the workspace; a fresh subfolder is made in it. */
  scratch: string
  /** Kills the action (SIGKILL, by PID) after this many milliseconds. */
  capMs?: number
  /** Called with performance.now() right before the spawn. */
  onSpawn?: (startedAt: number) => void
  /** Lets the caller end the run early; the action is killed by PID when it resolves. */
  stopWhen?: Promise<void>
}

/** Builds the inputs that point the action at a simulator, with the account of its health-check user. */
export function hubInputs(hub: HubSimulator): Record<string, string> {
  return {
    username: hub.username,
    password: hub.password,
    'auth-url': hub.authUrl,
    'core-url': hub.coreUrl,
    'storage-url': hub.storageUrl
  }
}

/**
 * Scales the action's budgets by the simulator's time scale, to at least `minimum` seconds each so
 * a slow python start still fits a phase. Poll interval and latency limit scale with them.
 */
export function scaledTimingInputs(timeScale: number, minimum = 5): Record<string, string> {
  const budget = (seconds: number): string => String(Math.max(minimum, seconds * timeScale))
  return {
    'login-timeout': '30',
    'bucket-timeout': budget(60),
    'build-timeout': budget(120),
    'distribution-timeout': budget(120),
    'execution-timeout': budget(240),
    'results-timeout': budget(60),
    'latency-limit': budget(600),
    'poll-interval': String(3 * timeScale)
  }
}

/** Returns the size of dist/index.js and of the whole dist/ folder in bytes. */
export function distSize(): { entryBytes: number; folderBytes: number } {
  const entryBytes = statSync(DIST_ENTRY).size
  const folderBytes = ['index.js', 'index.js.map', 'licenses.txt', 'package.json', 'sourcemap-register.cjs']
    .map((name) => {
      try {
        return statSync(path.join(DIST_DIR, name)).size
      } catch {
        return 0
      }
    })
    .reduce((sum, size) => sum + size, 0)
  return { entryBytes, folderBytes }
}

function readPeakRss(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(status)
    return match === null ? null : Number(match[1])
  } catch {
    return null
  }
}

/** Spawns node dist/index.js with the runner's files and variables, and waits for it to exit. */
export async function runAction(options: ActionRunOptions): Promise<ActionRun> {
  const workspace = mkdtempSync(path.join(options.scratch, 'workspace-'))
  const runnerDir = path.join(workspace, '.runner')
  mkdirSync(runnerDir)
  const outputFile = path.join(runnerDir, 'output.txt')
  writeFileSync(outputFile, '')
  writeFileSync(path.join(runnerDir, 'summary.md'), '')

  // Only PATH and HOME come from this process, so no token of the caller reaches the action.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: path.join(runnerDir, 'summary.md'),
    RUNNER_TEMP: runnerDir
  }
  for (const [name, value] of Object.entries(options.inputs)) env[`INPUT_${name.toUpperCase()}`] = value

  const startedAt = performance.now()
  options.onSpawn?.(startedAt)
  const child = spawn(process.execPath, [DIST_ENTRY], { cwd: workspace, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const pid = child.pid
  let log = ''
  let killed = false
  let peakRssKiB: number | null = null

  const kill = (): void => {
    if (child.exitCode !== null || child.signalCode !== null || pid === undefined) return
    killed = true
    process.kill(pid, 'SIGKILL')
  }
  const sampler = setInterval(() => {
    if (pid !== undefined) peakRssKiB = readPeakRss(pid) ?? peakRssKiB
  }, RSS_SAMPLE_MS)
  const cap = options.capMs === undefined ? undefined : setTimeout(kill, options.capMs)
  void options.stopWhen?.then(kill)

  child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')))
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')))
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', (code) => {
      // A last sample, which fails when /proc/<pid> is already gone after the exit.
      if (pid !== undefined) peakRssKiB = readPeakRss(pid) ?? peakRssKiB
      resolve(code)
    })
  })
  const wallMs = performance.now() - startedAt
  clearInterval(sampler)
  if (cap !== undefined) clearTimeout(cap)

  return {
    exitCode,
    wallMs,
    peakRssKiB,
    killed,
    outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
    log
  }
}
