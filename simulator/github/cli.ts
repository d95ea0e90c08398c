// Command line for the GitHub API emulator: `npm run emulator -- --port 8790 --seed-workflow`.
// Runs until SIGINT or SIGTERM, then stops the server; a repository it created is removed
// unless --repo-dir names where to keep it.

import path from 'node:path'
import { parseArgs } from 'node:util'

import { startGitHubEmulator } from './index.js'
import { workflowSeed } from './seed.js'

const USAGE_ERROR = 2

const HELP = `Usage: npm run emulator -- [options]

Serves the GitHub REST endpoints the action commits through (git/ref, git/refs, git/commits,
git/trees, git/blobs, contents, commits, the repository) on 127.0.0.1, backed by a real bare
git repository.

Options:
  --port N           port on 127.0.0.1 (default 8790; 0 picks a free port)
  --owner NAME       repository owner (default flame-org)
  --repo NAME        repository name (default status)
  --branch NAME      default branch (default main)
  --seed-workflow    first commit holds a consumer workflow file and a README (default: a README only)
  --empty            start with a repository without commits (409 "Git Repository is empty.")
  --repo-dir DIR     keep the bare repository in DIR (created when missing; reused when it has commits)
  --token T          accept only this token (others get 401 Bad credentials); default: any token
  --verbose          log every request and every injected fault
  -h, --help         show this text
`

function fail(message: string): never {
  process.stderr.write(`${message}\nRun with --help to list the options.\n`)
  process.exit(USAGE_ERROR)
}

async function main(): Promise<void> {
  let values
  try {
    values = parseArgs({
      args: process.argv.slice(2),
      options: {
        port: { type: 'string', default: '8790' },
        owner: { type: 'string' },
        repo: { type: 'string' },
        branch: { type: 'string', default: 'main' },
        'seed-workflow': { type: 'boolean', default: false },
        empty: { type: 'boolean', default: false },
        'repo-dir': { type: 'string' },
        token: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false }
      },
      strict: true
    }).values
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error))
  }

  if (values.help) {
    process.stdout.write(HELP)
    return
  }

  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    fail(`Invalid value "${values.port}" for --port: expected a whole number from 0 to 65535.`)
  }
  if (values.empty && values['seed-workflow']) fail('--empty and --seed-workflow exclude each other; give one.')

  const repoDir = values['repo-dir'] === undefined ? undefined : path.resolve(values['repo-dir'])

  let seed: 'empty' | Record<string, string> | undefined
  if (values.empty) seed = 'empty'
  else if (values['seed-workflow']) seed = workflowSeed()
  const log = values.verbose ? (line: string) => console.log(`[emulator] ${line}`) : undefined

  const emulator = await startGitHubEmulator({
    port,
    repoDir,
    owner: values.owner,
    repo: values.repo,
    branch: values.branch,
    token: values.token,
    seed,
    log
  })

  console.log(`GitHub API emulator at ${emulator.url}`)
  console.log(`Repository ${emulator.owner}/${emulator.repo}, branch ${emulator.branch}, bare repository ${emulator.repoDir}`)
  console.log('Point the action at it with:')
  console.log(`  GITHUB_API_URL=${emulator.url} GITHUB_REPOSITORY=${emulator.owner}/${emulator.repo} GITHUB_REF=refs/heads/${emulator.branch}`)
  console.log(`Inspect it with: git --git-dir ${emulator.repoDir} log --stat`)
  console.log('Press Ctrl-C to stop.')

  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve())
    process.once('SIGTERM', () => resolve())
  })

  const stats = emulator.stats()
  await emulator.stop()
  console.log(`Stopped. Ref updates: ${stats.refUpdates.length}, forced: ${stats.forcedUpdates}.`)
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
