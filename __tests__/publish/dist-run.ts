// Runs the built action (node dist/index.js) the way a runner does, pointed at a Hub simulator
// and a GitHub API emulator, for the end-to-end commit tests.

import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import type { GitHubEmulator } from '../../simulator/github/index.js'
import { parseOutputFile } from '../../simulator/runner-files.js'

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const DIST_ENTRY = path.join(REPO_ROOT, 'dist', 'index.js')

export interface HubUrls {
  username: string
  password: string
  authUrl: string
  coreUrl: string
  storageUrl: string
}

export interface DistRunOptions {
  /** Parent folder of the run's workspace. */
  scratch: string
  hub: HubUrls
  emulator: GitHubEmulator
  /** Inputs on top of the Hub's URLs, the three default nodes and fast polling. */
  inputs?: Record<string, string>
  /** Runner variables on top of the emulator's repository, refs/heads/main and run 1/1. */
  env?: Record<string, string>
  /** Sends SIGINT `delayMs` after the output contains `text`, as a runner does on cancel. */
  interrupt?: { text: string; delayMs: number }
}

export interface DistRun {
  exitCode: number
  output: string
  outputs: Map<string, string>
  summary: string
  workspace: string
  /** Milliseconds from SIGINT to the process exit; NaN without an interrupt. */
  exitAfterSigintMs: number
}

/** Rebuilds dist/ when a file under src/ or flame_checks/ is newer than dist/index.js. */
export function buildDistIfStale(): void {
  let builtAt: number | null = null
  try {
    builtAt = statSync(DIST_ENTRY).mtimeMs
  } catch {
    builtAt = null
  }
  const newest = Math.max(
    ...['src', 'flame_checks'].flatMap((folder) =>
      readdirSync(path.join(REPO_ROOT, folder), { withFileTypes: true, recursive: true })
        .filter((entry) => entry.isFile())
        .map((entry) => statSync(path.join(entry.parentPath, entry.name)).mtimeMs)
    )
  )
  if (builtAt !== null && builtAt >= newest) return

  const build = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, encoding: 'utf8' })
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`)
}

/** Runs dist/index.js once in a new workspace and collects its output files. */
export async function runDist(options: DistRunOptions): Promise<DistRun> {
  const workspace = mkdtempSync(path.join(options.scratch, 'workspace-'))
  const runnerDir = path.join(workspace, '.runner')
  mkdirSync(runnerDir)
  const outputFile = path.join(runnerDir, 'output.txt')
  const summaryFile = path.join(runnerDir, 'summary.md')
  writeFileSync(outputFile, '')
  writeFileSync(summaryFile, '')

  const inputs: Record<string, string> = {
    username: options.hub.username,
    password: options.hub.password,
    'auth-url': options.hub.authUrl,
    'core-url': options.hub.coreUrl,
    'storage-url': options.hub.storageUrl,
    nodes: 'aggregator-1, default-1, default-2',
    'poll-interval': '0.05',
    ...options.inputs
  }
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  Object.assign(env, {
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: runnerDir,
    GITHUB_API_URL: options.emulator.url,
    GITHUB_REPOSITORY: `${options.emulator.owner}/${options.emulator.repo}`,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_RUN_ID: '1',
    GITHUB_RUN_ATTEMPT: '1',
    ...options.env
  })

  const { exitCode, output, exitAfterSigintMs } = await new Promise<{
    exitCode: number
    output: string
    exitAfterSigintMs: number
  }>((resolve, reject) => {
    const child = spawn(process.execPath, [DIST_ENTRY], { cwd: workspace, env })
    let collected = ''
    let sigintAt: number | null = null
    let armed = false
    child.stdout.on('data', (chunk: Buffer) => {
      collected += chunk.toString('utf8')
      const interrupt = options.interrupt
      if (interrupt !== undefined && !armed && collected.includes(interrupt.text)) {
        armed = true
        setTimeout(() => {
          sigintAt = Date.now()
          child.kill('SIGINT')
        }, interrupt.delayMs)
      }
    })
    child.stderr.on('data', (chunk: Buffer) => (collected += chunk.toString('utf8')))
    child.on('error', reject)
    child.on('close', (code) =>
      resolve({
        exitCode: code ?? -1,
        output: collected,
        exitAfterSigintMs: sigintAt === null ? Number.NaN : Date.now() - sigintAt
      })
    )
  })

  return {
    exitCode,
    output,
    outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
    summary: readFileSync(summaryFile, 'utf8'),
    workspace,
    exitAfterSigintMs
  }
}
