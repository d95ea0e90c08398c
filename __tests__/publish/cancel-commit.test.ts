// A cancelled job still commits the round's lines: the built action gets SIGINT while its
// pairs wait for a stalled build, and must commit to the emulator before the runner would
// send SIGTERM (7.5 s after SIGINT).

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { type GitHubEmulator, startGitHubEmulator } from '../../simulator/github/index.js'
import { startHubSimulator } from '../../simulator/hub/index.js'
import { parseOutputFile } from '../../simulator/runner-files.js'
import { git, show } from './helpers.js'

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const DIST_ENTRY = path.join(REPO_ROOT, 'dist', 'index.js')
const TOKEN = 'cancel-token'
/** The runner sends SIGTERM this long after SIGINT, and kills the step 2.5 s later. */
const SIGTERM_AFTER_MS = 7500

let scratch: string

beforeAll(() => {
  buildDistIfStale()
  scratch = mkdtempSync(path.join(tmpdir(), 'cancel-commit-'))
}, 120_000)

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true })
})

/** Rebuilds dist/ when a file under src/ or flame_checks/ is newer than dist/index.js. */
function buildDistIfStale(): void {
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

interface CancelledRun {
  exitCode: number
  output: string
  outputs: Map<string, string>
  /** Milliseconds from SIGINT to the process exit. */
  exitAfterSigintMs: number
}

async function runCancelled(emulator: GitHubEmulator): Promise<CancelledRun> {
  const hub = await startHubSimulator({ era: 'e4', timeScale: 0.01, scenario: 'build-stalls', port: 0 })
  const workspace = mkdtempSync(path.join(scratch, 'workspace-'))
  const runnerDir = path.join(workspace, '.runner')
  mkdirSync(runnerDir)
  const outputFile = path.join(runnerDir, 'output.txt')
  writeFileSync(outputFile, '')
  writeFileSync(path.join(runnerDir, 'summary.md'), '')

  const inputs: Record<string, string> = {
    username: hub.username,
    password: hub.password,
    'auth-url': hub.authUrl,
    'core-url': hub.coreUrl,
    'storage-url': hub.storageUrl,
    nodes: 'aggregator-1, default-1, default-2',
    'poll-interval': '0.05',
    'build-timeout': '30',
    'github-token': TOKEN
  }
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  Object.assign(env, {
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: path.join(runnerDir, 'summary.md'),
    RUNNER_TEMP: runnerDir,
    GITHUB_API_URL: emulator.url,
    GITHUB_REPOSITORY: `${emulator.owner}/${emulator.repo}`,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_RUN_ID: '9001',
    GITHUB_RUN_ATTEMPT: '1'
  })

  try {
    return await new Promise<CancelledRun>((resolve, reject) => {
      const child = spawn(process.execPath, [DIST_ENTRY], { cwd: workspace, env })
      let output = ''
      let sigintAt: number | null = null
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8')
        // The upload takes about 0.1 s at time scale 0.01, so after 1.5 s the pairs wait for the stalled build.
        if (sigintAt === null && output.includes('::group::Phase setup')) {
          sigintAt = Infinity
          setTimeout(() => {
            sigintAt = Date.now()
            child.kill('SIGINT')
          }, 1500)
        }
      })
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
      child.on('error', reject)
      child.on('close', (code) =>
        resolve({
          exitCode: code ?? -1,
          output,
          outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
          exitAfterSigintMs: sigintAt === null ? Number.NaN : Date.now() - sigintAt
        })
      )
    })
  } finally {
    await hub.stop()
  }
}

describe('commit after cancellation', () => {
  test('commits within the grace period', async () => {
    const emulator = await startGitHubEmulator({ token: TOKEN })
    try {
      const run = await runCancelled(emulator)

      expect(run.output).toContain('Received SIGINT; cancelling the round')
      expect(run.exitAfterSigintMs).toBeLessThan(SIGTERM_AFTER_MS)
      expect(run.outputs.get('commit-sha')).toBe(git(emulator, 'rev-parse', 'main'))
      expect(git(emulator, 'log', '-1', '--format=%B', 'main')).toContain('Run: 9001/1')
      expect(show(emulator, 'docs/logs/execute_report.log')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d, unknown, \n$/)
      expect(show(emulator, 'docs/logs/upload_report.log')).toMatch(/, success, \d+\.\d\d\n$/)
    } finally {
      await emulator.stop()
    }
  }, 60_000)

  test('retries a moved branch within the grace period', async () => {
    const emulator = await startGitHubEmulator({ token: TOKEN })
    emulator.faults.add({ endpoint: 'updateRef', fault: { kind: 'competing-commit' } })
    try {
      const run = await runCancelled(emulator)

      expect(run.exitAfterSigintMs).toBeLessThan(SIGTERM_AFTER_MS)
      expect(emulator.stats().calls.updateRef).toBe(2)
      expect(git(emulator, 'log', '--format=%s', 'main').split('\n')).toHaveLength(3)
      expect(run.outputs.get('commit-sha')).toBe(git(emulator, 'rev-parse', 'main'))
      expect(emulator.stats().forcedUpdates).toBe(0)
    } finally {
      await emulator.stop()
    }
  }, 60_000)
})
