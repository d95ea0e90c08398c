// `npm run bench`: measures the built action on the Hub simulator and the GitHub API emulator
// (cold start, detection overhead, Hub requests, scale, commit cost, status page) and prints
// every figure with its target as a Markdown table.

import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'

import { DIST_ENTRY, REPO_ROOT } from './action-process.js'
import { measureColdStart } from './cold-start.js'
import { measureCommitCost } from './commit-cost.js'
import { renderTable, type Figure } from './figures.js'
import { describeMachine } from './machine.js'
import { measurePage } from './page.js'
import { measurePolling } from './polling.js'
import { measureScale } from './scale.js'

const GROUPS = ['cold-start', 'polling', 'scale', 'commit', 'page'] as const
type Group = (typeof GROUPS)[number]

/** Run counts and sizes of a full run and of the `--quick` smoke run. */
interface Plan {
  coldStartRuns: number
  pollingRuns: number
  /**
   * Simulator time scale of the polling rounds, and the poll interval is 3 s times it. HTTP
   * round trips stay in real time, so a smaller scale inflates the real-scale overhead.
   */
  pollingTimeScale: number
  /** Simulator time scale of the scale rounds. */
  scaleTimeScale: number
  scaleSizes: number[]
  /** Wall-clock cap of one scale round in ms; a round that reaches it is killed. */
  scaleCapMs: number
  commitRuns: number
  /** Adds the 300-file commit and the 10 racing writers. */
  commitFull: boolean
  pageRuns: number
  /** Adds the page with 300 node logs. */
  pageLarge: boolean
}

const FULL_PLAN: Plan = {
  coldStartRuns: 5,
  pollingRuns: 3,
  pollingTimeScale: 0.2,
  scaleTimeScale: 0.1,
  scaleSizes: [1, 30, 100, 300],
  scaleCapMs: 45_000,
  commitRuns: 3,
  commitFull: true,
  pageRuns: 5,
  pageLarge: true
}

const QUICK_PLAN: Plan = {
  coldStartRuns: 2,
  pollingRuns: 1,
  pollingTimeScale: 0.1,
  scaleTimeScale: 0.05,
  scaleSizes: [1, 30],
  scaleCapMs: 30_000,
  commitRuns: 1,
  commitFull: false,
  pageRuns: 1,
  pageLarge: false
}

const HELP = `Usage: npm run bench -- [options]

Measures the built action (dist/index.js, rebuilt when src/ is newer) against the Hub simulator
and the GitHub API emulator on 127.0.0.1, and prints a Markdown table of every figure with its
target. A full run takes about 6 to 9 minutes on 2 cores.

Options:
  --quick          shorter smoke run: fewer runs, smaller sizes, no 300-file commit or race
  --json FILE      also write {"machine": ..., "figures": [...]} to FILE
  --only GROUPS    comma-separated subset of: ${GROUPS.join(', ')}
  -h, --help       print this help
`

interface BenchOptions {
  plan: Plan
  jsonFile: string | null
  groups: Group[]
}

function parseOptions(argv: string[]): BenchOptions | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false }
    }
  })
  if (values.help) return null

  let groups: Group[] = [...GROUPS]
  if (values.only !== undefined) {
    const requested = values.only.split(',').map((name) => name.trim())
    const unknown = requested.filter((name) => !(GROUPS as readonly string[]).includes(name))
    if (unknown.length > 0) throw new Error(`Invalid --only group "${unknown.join('", "')}": use one or more of ${GROUPS.join(', ')}.`)
    groups = requested as Group[]
  }
  if (values.json === '') throw new Error('Invalid --json value "": give a file path such as bench-results.json.')

  return { plan: values.quick ? QUICK_PLAN : FULL_PLAN, jsonFile: values.json ?? null, groups }
}

function newestModification(folder: string): number {
  return Math.max(
    ...readdirSync(folder, { withFileTypes: true, recursive: true })
      .filter((entry) => entry.isFile())
      .map((entry) => statSync(path.join(entry.parentPath, entry.name)).mtimeMs)
  )
}

/** Rebuilds dist/ with `npm run build` when it is missing or older than src/ or flame_checks/. */
function ensureFreshDist(): void {
  let builtAt = 0
  try {
    builtAt = statSync(DIST_ENTRY).mtimeMs
  } catch {
    // Missing: built below.
  }
  const newestSource = Math.max(newestModification(path.join(REPO_ROOT, 'src')), newestModification(path.join(REPO_ROOT, 'flame_checks')))
  if (builtAt >= newestSource) return

  progress('dist/ is older than src/: running npm run build')
  const build = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, encoding: 'utf8' })
  if (build.status !== 0) throw new Error(`npm run build failed, so there is no action to measure:\n${build.stdout}\n${build.stderr}`)
}

function progress(line: string): void {
  process.stderr.write(`[bench] ${line}\n`)
}

async function runGroup(group: Group, plan: Plan, scratch: string): Promise<Figure[]> {
  switch (group) {
    case 'cold-start':
      return measureColdStart({ runs: plan.coldStartRuns, scratch })
    case 'polling':
      return measurePolling({ runs: plan.pollingRuns, timeScale: plan.pollingTimeScale, scratch })
    case 'scale':
      return measureScale({ sizes: plan.scaleSizes, timeScale: plan.scaleTimeScale, capMs: plan.scaleCapMs, scratch })
    case 'commit':
      return measureCommitCost({ runs: plan.commitRuns, full: plan.commitFull })
    case 'page':
      return measurePage({ runs: plan.pageRuns, large: plan.pageLarge })
  }
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2))
  if (options === null) {
    process.stdout.write(HELP)
    return 0
  }

  const machine = describeMachine()
  const started = performance.now()
  ensureFreshDist()
  const scratch = mkdtempSync(path.join(tmpdir(), 'flame-bench-'))
  const figures: Figure[] = []
  try {
    for (const group of options.groups) {
      const groupStarted = performance.now()
      progress(`${group}: running`)
      figures.push(...(await runGroup(group, options.plan, scratch)))
      progress(`${group}: done in ${((performance.now() - groupStarted) / 1000).toFixed(1)} s`)
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
  const totalSeconds = (performance.now() - started) / 1000

  const argv = process.argv.slice(2)
  const command = argv.length === 0 ? 'npm run bench' : `npm run bench -- ${argv.join(' ')}`
  process.stdout.write(`${renderTable(figures)}\n\n`)
  process.stdout.write(
    `${command}: ${totalSeconds.toFixed(0)} s on ${machine.cores} cores (${machine.cpuModel}), ` +
      `${machine.memoryGiB} GiB, Node ${machine.node}, load average ${machine.loadAverage} at the start.\n`
  )

  if (options.jsonFile !== null) {
    const document = { machine: { ...machine, command, totalSeconds: Math.round(totalSeconds) }, figures }
    writeFileSync(options.jsonFile, `${JSON.stringify(document, null, 2)}\n`)
    progress(`wrote ${options.jsonFile}`)
  }
  return 0
}

try {
  process.exitCode = await main()
} catch (error) {
  progress(`failed: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
}
