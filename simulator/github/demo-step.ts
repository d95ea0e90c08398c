// The demo's commit step: an emulated GitHub repository, seeded with a consumer workflow, that
// the action commits its history to. The bare repository lives in the demo workspace, so a
// reused workspace keeps appending to the same history.

import { execFileSync } from 'node:child_process'
import path from 'node:path'

import { type GitHubEmulator, startGitHubEmulator } from './index.js'
import { workflowSeed } from './seed.js'

/** Token the demo gives the action; the emulator rejects any other. */
const DEMO_TOKEN = 'demo-token'

/** Starts the emulator for `owner/repo` with its bare repository in `<workspace>/.github-emulator/`. */
export async function startDemoRepository(workspace: string, owner: string, repo: string): Promise<GitHubEmulator> {
  return startGitHubEmulator({
    repoDir: path.join(workspace, '.github-emulator', `${repo}.git`),
    owner,
    repo,
    branch: 'main',
    token: DEMO_TOKEN,
    seed: workflowSeed()
  })
}

/** Environment that points the action's commit at the emulator. */
export function demoCommitEnv(emulator: GitHubEmulator): Record<string, string> {
  return {
    GITHUB_API_URL: emulator.url,
    GITHUB_REPOSITORY: `${emulator.owner}/${emulator.repo}`,
    GITHUB_REF: `refs/heads/${emulator.branch}`,
    'INPUT_GITHUB-TOKEN': DEMO_TOKEN
  }
}

/** Prints `git log --stat -1` of the emulated branch and the emulator's ref-update counts. */
export function printDemoCommit(emulator: GitHubEmulator): void {
  const log = execFileSync('git', ['log', '--stat', '-1', emulator.branch], {
    env: { ...process.env, GIT_DIR: emulator.repoDir, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
    encoding: 'utf8'
  })
  const stats = emulator.stats()

  console.log('── Commit (GitHub API emulator) ────────────────────────────')
  console.log(`repository: ${emulator.owner}/${emulator.repo} at ${emulator.repoDir}`)
  console.log(log.trimEnd())
  console.log(`ref updates: ${stats.refUpdates.length}, forced: ${stats.forcedUpdates}`)
}
