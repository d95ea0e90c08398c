import { execFileSync } from 'node:child_process'

import type { Clock } from '../../src/clock.js'
import type { ChangeSet } from '../../src/publish/changeset.js'
import { createGitHubClient, type GitHubClient, type PublishLog } from '../../src/publish/octokit.js'
import type { GitHubEmulator } from '../../simulator/github/index.js'

/** A clock whose sleeps return at once and are recorded, so backoff costs no real time. */
export function instantClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = []
  return {
    sleeps,
    now: () => Date.now(),
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw signal.reason
      sleeps.push(ms)
    }
  }
}

/** Creates a log that keeps its lines for assertions. */
export function memoryLog(): PublishLog & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    info: (message) => lines.push(`info: ${message}`),
    warning: (message) => lines.push(`warning: ${message}`),
    debug: () => undefined
  }
}

/**
 * Creates an Octokit client for the emulator whose retry and rate-limit waits take milliseconds.
 * Throttling is off unless asked for, because it spaces writes 1 s apart.
 */
export function emulatorClient(
  emulator: GitHubEmulator,
  log: PublishLog,
  overrides: { token?: string; throttle?: boolean; maxRateLimitWaitSeconds?: number } = {}
): GitHubClient {
  return createGitHubClient({
    token: overrides.token ?? 'test-token',
    baseUrl: emulator.url,
    throttle: overrides.throttle ?? false,
    millisecondsPerSecond: 1,
    maxRateLimitWaitSeconds: overrides.maxRateLimitWaitSeconds,
    log
  })
}

/** Creates a change set that appends lines to files, the way a history log grows. */
export function appendChangeSet(lines: Record<string, string>): ChangeSet {
  return {
    paths: Object.keys(lines),
    build: (current) => new Map(Object.entries(lines).map(([path, line]) => [path, `${current.get(path) ?? ''}${line}\n`]))
  }
}

/** Runs git against the emulator's bare repository and returns trimmed standard output. */
export function git(emulator: GitHubEmulator, ...args: string[]): string {
  return execFileSync('git', args, {
    env: { ...process.env, GIT_DIR: emulator.repoDir, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
    encoding: 'utf8'
  }).trim()
}

/** Content of a file on the emulated branch. */
export function show(emulator: GitHubEmulator, path: string, ref = 'main'): string {
  return execFileSync('git', ['show', `${ref}:${path}`], {
    env: { ...process.env, GIT_DIR: emulator.repoDir, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024
  })
}
