// Rehearses the self-test job of .github/workflows/test-action.yml on this machine. It starts the
// simulator with the job's command on a free port, runs the action with the job's `with:` inputs as
// INPUT_* variables, and then runs the job's check script on the outputs the action wrote. So the
// check step is known to pass on a healthy round and to fail on a broken one before CI runs it.

import { afterEach, describe, expect, it } from '@jest/globals'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

import { readWorkflow, type WorkflowJob } from './workflows.js'
import { asMapping, parseYaml, type YamlMapping } from './yaml-subset.js'

const root = join(import.meta.dirname, '..', '..')
const workflowPath = '.github/workflows/test-action.yml'
const workflow = readWorkflow(parseYaml(readFileSync(join(root, workflowPath), 'utf8'), workflowPath), workflowPath)
const job = findJob('simulator-round')

const simulatorStep = stepWhere((run) => run.includes('npm run simulator --'))
const actionStep = job.steps.find((step) => step.uses === './')
const checkStep = stepWhere((run) => run.includes('_report.log'))

const SIMULATOR_ADDRESS = 'http://127.0.0.1:8799'

// The action runs with the workspace as its working directory, where `--import tsx` would not resolve.
const TSX_LOADER = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href

let simulator: ChildProcess | undefined
let workspace: string | undefined
let runnerTemp: string | undefined

afterEach(async () => {
  if (simulator?.pid !== undefined && simulator.exitCode === null) {
    const exited = new Promise((resolve) => simulator!.once('exit', resolve))
    simulator.kill('SIGTERM')
    await exited
  }
  simulator = undefined
  for (const directory of [workspace, runnerTemp]) if (directory) rmSync(directory, { recursive: true, force: true })
  workspace = undefined
  runnerTemp = undefined
})

describe('test-action.yml self-test job', () => {
  it('starts the simulator where the action looks', () => {
    expect(simulatorCommand()).toContain('--port 8799')
    const inputs = actionInputs()
    for (const name of ['auth-url', 'core-url', 'storage-url']) {
      expect({ input: name, value: inputs[name]?.startsWith(`${SIMULATOR_ADDRESS}/`) }).toEqual({ input: name, value: true })
    }
  })

  it('passes on a healthy round', async () => {
    const url = await startSimulator([])
    const action = runAction(url)
    // The log only shows up in the failure message, where it explains the exit status.
    expect({ status: action.status, log: action.status === 0 ? '' : action.log }).toEqual({ status: 0, log: '' })

    const check = runCheckStep(action.outputs)
    expect(check.output).not.toContain('::error')
    expect(check.status).toBe(0)
  })

  it('fails on a broken round', async () => {
    const url = await startSimulator(['--scenario', 'no-registry'])
    const action = runAction(url)
    // fail-on: any-failure in the job fails the action step itself on a partial outage.
    expect({ status: action.status, log: action.status === 1 ? '' : action.log }).toEqual({ status: 1, log: '' })
    expect(action.outputs.status).toBe('partial_outage')

    const check = runCheckStep(action.outputs)
    expect(check.output).toContain("::error title=Action outputs::output 'status' is 'partial_outage', expected 'operational'")
    expect(check.status).toBe(1)
  })
})

function findJob(name: string): WorkflowJob {
  const found = workflow.jobs.find((candidate) => candidate.name === name)
  if (!found) throw new Error(`${workflowPath} has no job '${name}'`)
  return found
}

function stepWhere(test: (run: string) => boolean): YamlMapping {
  const found = job.steps.find((step) => typeof step.run === 'string' && test(step.run))
  if (!found) throw new Error(`${workflowPath}: job '${job.name}' lacks an expected run step`)
  return found
}

/** Return the arguments the job passes to `npm run simulator --`. */
function simulatorCommand(): string {
  const match = /npm run simulator -- ([^>&\n]*)/.exec(simulatorStep.run as string)
  if (!match) throw new Error(`${workflowPath}: no arguments after "npm run simulator --"`)
  return match[1]!.trim()
}

function actionInputs(): Record<string, string> {
  if (!actionStep) throw new Error(`${workflowPath}: job '${job.name}' has no step with "uses: ./"`)
  const inputs: Record<string, string> = {}
  for (const [name, value] of Object.entries(asMapping(actionStep.with ?? null, 'with'))) inputs[name] = String(value ?? '')
  return inputs
}

/**
 * Start the simulator CLI with the job's arguments on a free port (plus `extra`) and resolve with
 * its base URL once it prints one.
 */
async function startSimulator(extra: string[]): Promise<string> {
  // A smaller time scale than the job's keeps this test fast; the round and the checks stay the same.
  const command = simulatorCommand().replace('--port 8799', '--port 0').replace(/--time-scale \S+/, '--time-scale 0.01')
  const args = [...command.split(/\s+/), ...extra]
  simulator = spawn(process.execPath, ['--import', 'tsx', 'simulator/cli.ts', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe']
  })

  return await new Promise<string>((resolve, reject) => {
    let printed = ''
    const onData = (chunk: Buffer): void => {
      printed += chunk.toString()
      const match = /http:\/\/127\.0\.0\.1:(\d+)/.exec(printed)
      if (match && match[1] !== '0') resolve(`http://127.0.0.1:${match[1]}`)
    }
    simulator!.stdout!.on('data', onData)
    simulator!.stderr!.on('data', onData)
    simulator!.once('exit', (code) => reject(new Error(`simulator CLI exited with ${code} before printing its URL:\n${printed}`)))
  })
}

/** Run the action from its sources as the runner runs `uses: ./`, with the job's inputs. */
function runAction(simulatorUrl: string): { status: number | null; outputs: Record<string, string>; log: string } {
  workspace = mkdtempSync(join(tmpdir(), 'test-action-workspace-'))
  runnerTemp = mkdtempSync(join(tmpdir(), 'test-action-runner-'))
  // The runner creates both files before the step starts.
  const outputFile = join(runnerTemp, 'output.txt')
  const summaryFile = join(runnerTemp, 'summary.md')
  writeFileSync(outputFile, '')
  writeFileSync(summaryFile, '')

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_REPOSITORY: 'privateaim/flame-status-action',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_RUN_ID: '1',
    GITHUB_RUN_ATTEMPT: '1',
    RUNNER_TEMP: runnerTemp
  }
  for (const [name, value] of Object.entries(actionInputs())) {
    env[`INPUT_${name.toUpperCase()}`] = value.replace(SIMULATOR_ADDRESS, simulatorUrl)
  }

  const result = spawnSync(process.execPath, ['--import', TSX_LOADER, join(root, 'src', 'index.ts')], {
    cwd: workspace,
    env,
    encoding: 'utf8',
    timeout: 120_000
  })
  const outputs = parseOutputFile(readFileSync(outputFile, 'utf8'))
  if (result.status === null) throw new Error(`the action did not finish: ${result.error}\n${result.stdout}`)
  return { status: result.status, outputs, log: result.stdout + result.stderr }
}

/** Parse a GITHUB_OUTPUT file: `name<<DELIMITER`, the value lines, then the delimiter. */
function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let index = 0; index < lines.length; index++) {
    const heredoc = /^([^<=]+)<<(.+)$/.exec(lines[index]!)
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, index + 1)
      outputs[heredoc[1]!] = lines.slice(index + 1, end).join('\n')
      index = end
      continue
    }
    const plain = /^([^=]+)=(.*)$/.exec(lines[index]!)
    if (plain) outputs[plain[1]!] = plain[2]!
  }
  return outputs
}

/**
 * Run the job's check script the way the runner runs a bash step, with its `env:` block. The only
 * expressions that block may use are `${{ steps.health.outputs.NAME }}`.
 */
function runCheckStep(outputs: Record<string, string>): { status: number | null; output: string } {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME }
  for (const [name, value] of Object.entries(asMapping(checkStep.env ?? null, 'env'))) {
    env[name] = String(value ?? '').replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_expression, inner: string) => {
      const output = /^steps\.health\.outputs\.([\w-]+)$/.exec(inner)
      if (!output) throw new Error(`${workflowPath}: the check step uses an expression this rehearsal cannot evaluate: ${inner}`)
      return outputs[output[1]!] ?? ''
    })
  }

  const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', checkStep.run as string], {
    cwd: workspace,
    env,
    encoding: 'utf8'
  })
  return { status: result.status, output: result.stdout + result.stderr }
}
