// Runs the bundled action (node dist/index.js) the way a runner does, against the Hub
// simulator, and checks the history files, the outputs and the job summary.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { startHubSimulator } from '../../simulator/hub/index.js'
import { parseOutputFile } from '../../simulator/runner-files.js'

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const DIST_ENTRY = path.join(REPO_ROOT, 'dist', 'index.js')
const NODES = ['aggregator-1', 'default-1', 'default-2']
const STEP_KEYS = ['login', 'upload', 'distribute', 'execute', 'results', 'latency']

/** Budgets in real seconds; the simulator at time scale 0.01 finishes a healthy pair in about a second. */
const FAST_INPUTS: Record<string, string> = {
  'poll-interval': '0.05',
  'login-timeout': '5',
  'bucket-timeout': '5',
  'build-timeout': '5',
  'distribution-timeout': '5',
  'execution-timeout': '10',
  'results-timeout': '5',
  commit: 'false'
}

interface ActionResult {
  exitCode: number
  stdout: string
  outputs: Map<string, string>
  summary: string
  /** History file name → its lines. */
  logs: Map<string, string[]>
  password: string
}

let scratch: string

beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'action-e2e-'))
  buildDistIfStale()
}, 300_000)

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true })
})

/** Rebuilds dist/ when a file under src/ or flame_checks/ is newer than dist/index.js. */
function buildDistIfStale(): void {
  const builtAt = modifiedAt(DIST_ENTRY)
  const newest = Math.max(...['src', 'flame_checks'].flatMap((folder) => modifiedTimes(path.join(REPO_ROOT, folder))))
  if (builtAt !== null && builtAt >= newest) return

  const build = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, encoding: 'utf8' })
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`)
}

function modifiedAt(file: string): number | null {
  try {
    return statSync(file).mtimeMs
  } catch {
    return null
  }
}

function modifiedTimes(folder: string): number[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => statSync(path.join(entry.parentPath, entry.name)).mtimeMs)
}

interface RunOptions {
  /** Sends SIGINT to the action `delayMs` after its output contains `text`, as a runner does on cancel. */
  interrupt?: { text: string; delayMs: number }
}

async function runAction(inputs: Record<string, string>, options: RunOptions = {}): Promise<ActionResult> {
  const workspace = mkdtempSync(path.join(scratch, 'workspace-'))
  const runnerDir = path.join(workspace, '.runner')
  mkdirSync(runnerDir)
  const outputFile = path.join(runnerDir, 'output.txt')
  const summaryFile = path.join(runnerDir, 'summary.md')
  writeFileSync(outputFile, '')
  writeFileSync(summaryFile, '')

  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  Object.assign(env, {
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: runnerDir
  })

  const { exitCode, stdout } = await new Promise<{ exitCode: number; stdout: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [DIST_ENTRY], { cwd: workspace, env })
    let output = ''
    let interrupted = false
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
      if (options.interrupt !== undefined && !interrupted && output.includes(options.interrupt.text)) {
        interrupted = true
        setTimeout(() => child.kill('SIGINT'), options.interrupt.delayMs)
      }
    })
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    child.on('error', reject)
    child.on('close', (code) => resolve({ exitCode: code ?? -1, stdout: output }))
  })

  const logDir = path.join(workspace, 'docs', 'logs')
  const logs = new Map<string, string[]>()
  for (const name of safeReaddir(logDir)) {
    logs.set(name, readFileSync(path.join(logDir, name), 'utf8').split('\n').slice(0, -1))
  }

  return {
    exitCode,
    stdout,
    outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
    summary: readFileSync(summaryFile, 'utf8'),
    logs,
    password: inputs.password ?? ''
  }
}

function safeReaddir(folder: string): string[] {
  try {
    return readdirSync(folder).sort()
  } catch {
    return []
  }
}

/** Runs one round against a fresh simulator. */
async function runScenario(
  era: 'e3' | 'e4',
  scenario: string,
  inputs: Record<string, string> = {},
  options: RunOptions = {}
): Promise<ActionResult> {
  const hub = await startHubSimulator({ era, timeScale: 0.01, scenario, port: 0 })
  try {
    return await runAction({
      username: hub.username,
      password: hub.password,
      'auth-url': hub.authUrl,
      'core-url': hub.coreUrl,
      'storage-url': hub.storageUrl,
      nodes: NODES.join(', '),
      ...FAST_INPUTS,
      ...inputs
    }, options)
  } finally {
    await hub.stop()
  }
}

/** Collects the status field of each history file's only line, keyed by history key. */
function lineStatuses(result: ActionResult): Record<string, string> {
  const statuses: Record<string, string> = {}
  for (const [name, lines] of result.logs) statuses[name.replace(/_report\.log$/, '')] = lines[0]!.split(', ')[1]!
  return statuses
}

function expectedStatuses(steps: string[], nodes: Record<string, string>): Record<string, string> {
  const statuses: Record<string, string> = {}
  STEP_KEYS.forEach((key, index) => (statuses[key] = steps[index]!))
  for (const [name, status] of Object.entries(nodes)) statuses[`node_${name}`] = status
  return statuses
}

describe.each(['e3', 'e4'] as const)('healthy round on %s', (era) => {
  let result: ActionResult

  beforeAll(async () => {
    result = await runScenario(era, 'healthy')
  }, 60_000)

  it('exits with 0', () => {
    expect({ exitCode: result.exitCode, log: result.exitCode === 0 ? '' : result.stdout }).toEqual({
      exitCode: 0,
      log: ''
    })
  })

  it('writes nine lines with one timestamp', () => {
    expect([...result.logs.keys()]).toEqual(
      [...STEP_KEYS, ...NODES.map((name) => `node_${name}`)].map((key) => `${key}_report.log`).sort()
    )
    const lines = [...result.logs.values()]
    expect(lines.every((fileLines) => fileLines.length === 1)).toBe(true)
    const timestamps = new Set(lines.map((fileLines) => fileLines[0]!.slice(0, 16)))
    expect(timestamps.size).toBe(1)
    expect([...timestamps][0]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/)
  })

  it('marks every key success with a duration', () => {
    for (const [name, lines] of result.logs) {
      expect({ name, line: lines[0] }).toEqual({ name, line: expect.stringMatching(/, success, \d+\.\d{2}$/) })
    }
  })

  it('sets the outputs', () => {
    expect(result.outputs.get('status')).toBe('operational')
    expect(JSON.parse(result.outputs.get('steps')!)).toEqual(Object.fromEntries(STEP_KEYS.map((key) => [key, 'success'])))
    const nodes = JSON.parse(result.outputs.get('nodes')!) as Record<string, { status: string; seconds: number }>
    expect(Object.keys(nodes)).toEqual(NODES)
    expect(Object.values(nodes).every((node) => node.status === 'success' && node.seconds > 0)).toBe(true)
    expect(result.outputs.get('down-nodes')).toBe('')
    expect(Number(result.outputs.get('duration'))).toBeGreaterThan(0)
    expect(result.outputs.get('hub-version')).not.toBe('')
    const report = JSON.parse(result.outputs.get('report')!)
    expect(report.hub.era).toBe(era)
    expect(report.pairs).toHaveLength(2)
  })

  it('writes a summary with both tables', () => {
    expect(result.summary).toContain('FLAME Hub health check: 🟢 Operational')
    expect(result.summary).toContain('<th>Step</th><th>Status</th><th>Duration</th><th>Budget</th><th>Reason</th>')
    expect(result.summary).toContain('<th>Node</th><th>Role</th><th>Status</th><th>Latency</th><th>Reason</th>')
    expect(result.summary).toContain(`(era ${era.toUpperCase()})`)
  })

  it('never prints the password', () => {
    expect(result.stdout).toContain('::add-mask::')
    const printed = result.stdout.replace(/^::add-mask::.*$/m, '')
    expect(result.password).not.toBe('')
    expect(printed).not.toContain(result.password)
  })
})

describe('failing rounds', () => {
  it('reports a node that never starts', async () => {
    const result = await runScenario('e4', 'node-down', { 'execution-timeout': '3' })

    expect(lineStatuses(result)).toEqual(
      expectedStatuses(['success', 'success', 'success', 'failed', 'success', 'success'], {
        'aggregator-1': 'success',
        'default-1': 'success',
        'default-2': 'failed'
      })
    )
    expect(result.outputs.get('status')).toBe('partial_outage')
    expect(result.outputs.get('down-nodes')).toBe('default-2')
    expect(result.stdout).toContain('::error title=FLAME node default-2 is down::')
    expect(result.exitCode).toBe(0)
  }, 60_000)

  it('reports a failing build', async () => {
    const result = await runScenario('e3', 'build-fails', { 'fail-on': 'major-outage' })

    expect(lineStatuses(result)).toEqual(
      expectedStatuses(['success', 'success', 'failed', 'unknown', 'unknown', 'unknown'], {
        'aggregator-1': 'failed',
        'default-1': 'failed',
        'default-2': 'failed'
      })
    )
    expect(result.outputs.get('status')).toBe('major_outage')
    expect(result.exitCode).toBe(1)
  }, 60_000)

  it('reports an unknown node name', async () => {
    const result = await runScenario('e4', 'healthy', { nodes: 'aggregator-1, default-1, ghost-9' })

    expect(lineStatuses(result)).toEqual(
      expectedStatuses(['success', 'success', 'success', 'success', 'success', 'success'], {
        'aggregator-1': 'success',
        'default-1': 'success',
        'ghost-9': 'failed'
      })
    )
    expect(result.outputs.get('status')).toBe('partial_outage')
    const nodes = JSON.parse(result.outputs.get('nodes')!)
    expect(nodes['ghost-9'].reason).toContain('ghost-9')
  }, 60_000)

  it('reports a failed project setup', async () => {
    const result = await runScenario('e4', 'setup-fails')

    expect(lineStatuses(result)).toEqual(
      expectedStatuses(['success', 'failed', 'unknown', 'unknown', 'unknown', 'unknown'], {
        'aggregator-1': 'unknown',
        'default-1': 'unknown',
        'default-2': 'unknown'
      })
    )
    expect(result.outputs.get('status')).toBe('major_outage')
    const steps = JSON.parse(result.outputs.get('report')!).steps
    expect(steps.upload.reasons[0]).toMatch(/^project setup failed: /)
  }, 60_000)

  it('fails a node list without aggregator', async () => {
    const result = await runScenario('e4', 'healthy', { nodes: 'default-1, default-2' })

    expect(result.exitCode).toBe(1)
    expect(result.stdout).toContain(
      '::error::The configured nodes cannot form a round: none of the configured nodes default-1, default-2 is ' +
        "an aggregator on the Hub. Fix the 'nodes' input."
    )
    expect(lineStatuses(result)).toEqual(
      expectedStatuses(['success', 'failed', 'unknown', 'unknown', 'unknown', 'unknown'], {
        'default-1': 'unknown',
        'default-2': 'unknown'
      })
    )
  }, 60_000)

  it('records a cancelled round', async () => {
    const started = Date.now()
    const result = await runScenario(
      'e4',
      'build-stalls',
      { 'build-timeout': '30' },
      // The upload takes about 0.1 s at time scale 0.01, so after 1.5 s the pairs wait for the stalled build.
      { interrupt: { text: '::group::Phase setup', delayMs: 1500 } }
    )
    const seconds = (Date.now() - started) / 1000

    expect(seconds).toBeLessThan(15)
    expect(result.stdout).toContain('Received SIGINT; cancelling the round')
    expect(lineStatuses(result)).toEqual(
      expectedStatuses(['success', 'success', 'unknown', 'unknown', 'unknown', 'unknown'], {
        'aggregator-1': 'unknown',
        'default-1': 'unknown',
        'default-2': 'unknown'
      })
    )
    expect(result.summary).toContain('<strong>The round was cancelled</strong>')
    expect(JSON.parse(result.outputs.get('report')!).cancelled).toBe(true)
  }, 60_000)

  it('rejects invalid inputs before a round', async () => {
    const result = await runAction({
      username: 'bot',
      password: '',
      'auth-url': 'http://127.0.0.1:9/auth',
      'core-url': 'http://127.0.0.1:9/core',
      'storage-url': 'http://127.0.0.1:9/storage',
      'build-timeout': 'soon'
    })

    expect(result.exitCode).toBe(1)
    expect(result.stdout).toContain("::error title=Invalid input::Input 'password' is empty.")
    expect(result.stdout).toContain(
      "::error title=Invalid input::Input 'build-timeout' must be a positive number of seconds (fractions allowed), got 'soon'."
    )
    expect(result.logs.size).toBe(0)
  })
})
