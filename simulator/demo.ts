// `npm run demo`: one health-check round of the built action (dist/index.js) against the
// Hub simulator, run the way a GitHub runner runs it. Prints the job summary as text and
// the outputs, and leaves the workspace with docs/logs/ at a printed path.
//
// Each step is one function called from main(), so later steps (a commit to an emulated
// GitHub repository, serving the status page) slot in after runAction().

import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

import { demoCommitEnv, printDemoCommit, startDemoRepository } from './github/demo-step.js'
import { startHubSimulator } from './hub/index.js'
import { getScenario, scenarioNames } from './hub/faults.js'
import { parseOutputFile, summaryToText } from './runner-files.js'
import { servePage } from './serve-page.js'

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const DIST_ENTRY = path.join(REPO_ROOT, 'dist', 'index.js')

/**
 * Factor on every simulated delay. A healthy round takes about 85 simulated seconds, so 0.15
 * makes it take about 13 s plus the start-up of the python node runs (an estimate).
 */
const DEFAULT_TIME_SCALE = 0.15

/** The action's default budgets in seconds; the demo scales them like the simulated delays. */
const DEFAULT_BUDGETS: Readonly<Record<string, number>> = {
  'bucket-timeout': 60,
  'build-timeout': 120,
  'distribution-timeout': 120,
  'execution-timeout': 240,
  'results-timeout': 60
}

/** Smallest scaled budget, so python start-up and process scheduling still fit in a phase. */
const MIN_BUDGET_SECONDS = 5

const HELP = `Usage: npm run demo -- [options]

Runs dist/index.js once against the FLAME Hub simulator, like a GitHub runner would.

Options:
  --scenario NAME      simulator scenario (default healthy); one of:
                       ${scenarioNames().join(', ')}
  --era e3|e4          wire era of the simulated Hub (default e4)
  --time-scale F       factor on every simulated delay and on the action's pair budgets (at least
                       ${MIN_BUDGET_SECONDS} s each); smaller is faster (default ${DEFAULT_TIME_SCALE})
  --nodes N            compute nodes (default 2: default-1, default-2; more add default-3 ...)
  --workspace DIR      workspace folder; reuse one to append to its history (default .demo/workspace-<time>-<pid>)
  --fail-on VALUE      the action's fail-on input (default never)
  --keep               keep the simulator running after the round, until Ctrl-C
  --no-serve           do not serve the status page after the round
  --verbose            print the action's log lines as they come
  -h, --help           print this help
`

interface DemoOptions {
  scenario: string
  era: 'e3' | 'e4'
  timeScale: number
  computeNodes: number
  workspace: string
  failOn: string
  keep: boolean
  /** Skips serving the status page (the page step reads it). */
  noServe: boolean
  verbose: boolean
}

interface ActionRun {
  exitCode: number
  outputs: Map<string, string>
  summary: string
  seconds: number
}

function parseOptions(argv: string[]): DemoOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string', default: 'healthy' },
      era: { type: 'string', default: 'e4' },
      'time-scale': { type: 'string', default: String(DEFAULT_TIME_SCALE) },
      nodes: { type: 'string', default: '2' },
      workspace: { type: 'string' },
      'fail-on': { type: 'string', default: 'never' },
      keep: { type: 'boolean', default: false },
      'no-serve': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    }
  })

  if (values.help) {
    process.stdout.write(HELP)
    process.exit(0)
  }

  getScenario(values.scenario)
  if (values.era !== 'e3' && values.era !== 'e4') throw new Error(`--era must be e3 or e4, got '${values.era}'.`)
  const timeScale = Number(values['time-scale'])
  if (!Number.isFinite(timeScale) || timeScale <= 0) {
    throw new Error(`--time-scale must be a positive number, got '${values['time-scale']}'.`)
  }
  const computeNodes = Number(values.nodes)
  if (!Number.isInteger(computeNodes) || computeNodes < 1) {
    throw new Error(`--nodes must be a whole number of at least 1, got '${values.nodes}'.`)
  }

  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')
  // The process id keeps demos started in the same second apart.
  const workspace = path.resolve(values.workspace ?? path.join(REPO_ROOT, '.demo', `workspace-${stamp}-${process.pid}`))

  return {
    scenario: values.scenario,
    era: values.era,
    timeScale,
    computeNodes,
    workspace,
    failOn: values['fail-on'],
    keep: values.keep,
    noServe: values['no-serve'],
    verbose: values.verbose
  }
}

/** Node names the simulator registers: aggregator-1, then default-1 … default-N. */
function nodeNames(computeNodes: number): string[] {
  return ['aggregator-1', ...Array.from({ length: computeNodes }, (_, index) => `default-${index + 1}`)]
}

/** Runs dist/index.js with the environment a runner gives a JavaScript action. */
async function runAction(
  hub: { authUrl: string; coreUrl: string; storageUrl: string; username: string; password: string },
  options: DemoOptions,
  extraEnv: Record<string, string> = {}
): Promise<ActionRun> {
  const runnerDir = path.join(options.workspace, '.runner')
  mkdirSync(runnerDir, { recursive: true })
  const outputFile = path.join(runnerDir, 'output.txt')
  const summaryFile = path.join(runnerDir, 'summary.md')
  writeFileSync(outputFile, '')
  writeFileSync(summaryFile, '')

  const inputs: Record<string, string> = {
    username: hub.username,
    password: hub.password,
    'auth-url': hub.authUrl,
    'core-url': hub.coreUrl,
    'storage-url': hub.storageUrl,
    nodes: nodeNames(options.computeNodes).join(', '),
    // The simulator scales the Hub's delays. Scaling the poll interval the same way keeps
    // the number of polls per phase close to that of a real round.
    'poll-interval': String(Math.max(0.05, 3 * options.timeScale)),
    'fail-on': options.failOn
  }
  // Scaled budgets let a stalled or down node fail the round in seconds instead of minutes.
  for (const [name, seconds] of Object.entries(DEFAULT_BUDGETS)) {
    inputs[name] = String(Math.max(MIN_BUDGET_SECONDS, Math.round(seconds * options.timeScale)))
  }

  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    // The runner's own variables would point the action at another workspace or repository.
    if (!/^(INPUT_|GITHUB_|RUNNER_|ACTIONS_)/.test(name)) env[name] = value
  }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  Object.assign(env, {
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_REPOSITORY: 'demo/flame-status',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_RUN_ID: String(Date.now()),
    RUNNER_TEMP: runnerDir
  })
  Object.assign(env, extraEnv)

  const started = Date.now()
  const exitCode = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [DIST_ENTRY], { cwd: options.workspace, env, stdio: ['ignore', 'pipe', 'inherit'] })
    let pending = ''
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8')
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) printActionLine(line, options.verbose)
    })
    child.on('error', reject)
    child.on('close', (code) => {
      if (pending !== '') printActionLine(pending, options.verbose)
      resolve(code ?? 1)
    })
  })

  return {
    exitCode,
    outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
    summary: readFileSync(summaryFile, 'utf8'),
    seconds: (Date.now() - started) / 1000
  }
}

/** Shows group titles and annotations always, other lines with --verbose. */
function printActionLine(line: string, verbose: boolean): void {
  if (line.startsWith('::add-mask::') || line === '::endgroup::') return
  if (line.startsWith('::group::')) {
    console.log(`  ▸ ${line.slice('::group::'.length)}`)
    return
  }
  const annotation = /^::(error|warning|notice)(?: ([^:]*))?::(.*)$/.exec(line)
  if (annotation) {
    const title = /title=([^,]*)/.exec(annotation[2] ?? '')?.[1]
    const message = decodeCommandValue(annotation[3] ?? '')
    console.log(`  ${annotation[1]!.toUpperCase()}${title ? ` (${decodeCommandValue(title)})` : ''}: ${message}`)
    return
  }
  if (verbose) console.log(`    ${line}`)
}

function decodeCommandValue(text: string): string {
  return text.replace(/%0A/g, '\n    ').replace(/%0D/g, '').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%')
}

function printReport(run: ActionRun, options: DemoOptions): void {
  console.log('\n── Job summary ─────────────────────────────────────────────')
  console.log(summaryToText(run.summary))
  console.log('── Outputs ─────────────────────────────────────────────────')
  for (const [name, value] of run.outputs) {
    if (name === 'report') console.log(`report: (${value.length} bytes of JSON)`)
    else console.log(`${name}: ${value}`)
  }

  const logDir = path.join(options.workspace, 'docs', 'logs')
  console.log('── Files ───────────────────────────────────────────────────')
  console.log(`workspace: ${options.workspace}`)
  console.log(`logs: ${logDir}`)
  if (existsSync(logDir)) {
    for (const name of readdirSync(logDir).sort()) {
      const lines = readFileSync(path.join(logDir, name), 'utf8').trimEnd().split('\n')
      console.log(`  ${name.padEnd(32)} ${lines[lines.length - 1]}`)
    }
  }
  console.log(`action exit code: ${run.exitCode}, ${run.seconds.toFixed(1)} s`)
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2))
  if (!existsSync(DIST_ENTRY)) {
    console.error(`${DIST_ENTRY} is missing: run npm run build first.`)
    process.exitCode = 1
    return
  }
  mkdirSync(options.workspace, { recursive: true })

  // Step 1: the Hub simulator.
  const hub = await startHubSimulator({
    era: options.era,
    timeScale: options.timeScale,
    scenario: options.scenario,
    extraNodes: options.computeNodes - 2,
    port: 0
  })
  console.log(
    `Hub simulator (${options.era.toUpperCase()}, scenario ${options.scenario}, time scale ${options.timeScale}) ` +
      `at ${hub.url}`
  )
  console.log(`A healthy round takes about ${Math.round(85 * options.timeScale + 3)} s at this time scale.\n`)

  // Step 1b: the GitHub repository the action commits to, seeded with a workflow file.
  const github = await startDemoRepository(options.workspace, 'demo', 'flame-status')
  console.log(`GitHub API emulator for demo/flame-status at ${github.url}`)

  try {
    // Step 2: the action, as a runner would start it.
    const run = await runAction(hub, options, demoCommitEnv(github))

    // Step 3: the summary, the outputs and the history files.
    printReport(run, options)

    // Step 3b: the commit the action made.
    printDemoCommit(github)

    // Step 4: the status page of the workspace's docs/, until Ctrl-C (--no-serve skips it).
    // Files the action did not add there come from docs-template/.
    const page = options.noServe ? null : await servePage([path.join(options.workspace, 'docs'), path.join(REPO_ROOT, 'docs-template')])
    if (page) console.log(`\nStatus page: ${page.url} (127.0.0.1 only; press Ctrl-C to stop)`)

    if (options.keep) console.log(`\nThe simulator keeps running at ${hub.url}; press Ctrl-C to stop it.`)
    if (options.keep || page) await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()))
    await page?.stop()
    process.exitCode = run.exitCode
  } finally {
    await github.stop()
    await hub.stop()
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
