import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { CommitError } from '../../src/publish/commit-errors.js'
import { historyChangeSet } from '../../src/publish/history-changes.js'
import {
  commitFailureMessage,
  commitSummaryHtml,
  publishRound,
  type PublishOptions,
  type PublishResult
} from '../../src/publish/publish.js'
import { type GitHubEmulator, startGitHubEmulator } from '../../simulator/github/index.js'
import { git, memoryLog, show } from './helpers.js'

let emulator: GitHubEmulator | undefined
let workspace: string
const savedApiUrl = process.env.GITHUB_API_URL

beforeAll(() => {
  // core.setSecret prints an add-mask command for the token; keep the test output readable.
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
})

afterAll(() => {
  jest.restoreAllMocks()
  if (savedApiUrl === undefined) delete process.env.GITHUB_API_URL
  else process.env.GITHUB_API_URL = savedApiUrl
})

afterEach(async () => {
  await emulator?.stop()
  emulator = undefined
  rmSync(workspace, { recursive: true, force: true })
})

async function setUp(): Promise<{ target: GitHubEmulator; options: PublishOptions }> {
  const target = await startGitHubEmulator({
    seed: { 'docs/logs/login_report.log': '2026-12-04 10:00, success, 1.00\n' }
  })
  emulator = target
  process.env.GITHUB_API_URL = target.url
  workspace = mkdtempSync(path.join(tmpdir(), 'publish-ws-'))

  const history = historyChangeSet({
    logDir: 'docs/logs',
    lines: new Map([['login', '2026-12-04 10:30, success, 2.00']]),
    maxLines: 100
  })
  const options: PublishOptions = {
    settings: {
      enabled: true,
      token: 'test-token',
      owner: target.owner,
      repo: target.repo,
      branch: 'main',
      message: '[Automated] Update E2E health check logs [skip ci]',
      runMarker: '77/1'
    },
    changeSets: [history],
    status: 'operational',
    workspace,
    workspacePaths: new Set(history.paths),
    cancelled: false,
    log: memoryLog()
  }
  return { target, options }
}

describe('publishRound', () => {
  test('commits and updates the workspace', async () => {
    const { target, options } = await setUp()

    const result = await publishRound(options)

    expect(result.ok).toBe(true)
    expect(git(target, 'log', '-1', '--format=%s', 'main')).toBe(
      '[Automated] Update E2E health check logs [skip ci] (status: operational)'
    )
    const committed = show(target, 'docs/logs/login_report.log')
    expect(committed).toBe('2026-12-04 10:00, success, 1.00\n2026-12-04 10:30, success, 2.00\n')
    expect(readFileSync(path.join(workspace, 'docs', 'logs', 'login_report.log'), 'utf8')).toBe(committed)
    expect(commitFailureMessage(result)).toBeNull()
  })

  test('cancelled path commits without throttling', async () => {
    const { target, options } = await setUp()
    const started = Date.now()

    const result = await publishRound({ ...options, cancelled: true })

    expect(result.ok).toBe(true)
    expect(git(target, 'log', '-1', '--format=%b', 'main')).toBe('Run: 77/1')
    // Throttling would space the three writes 1 s apart; the cancelled path must not.
    expect(Date.now() - started).toBeLessThan(CANCEL_PATH_LIMIT_MS)
  })

  test('failure is returned with the branch', async () => {
    const { target, options } = await setUp()
    target.faults.add({ endpoint: 'updateRef', fault: { kind: 'protected-branch', rule: 'ruleset' } })

    const result = await publishRound(options)

    if (result.ok) throw new Error('publishRound succeeded on a protected branch')
    expect(result.error).toBeInstanceOf(CommitError)
    expect(commitFailureMessage(result)).toContain("The history was not committed to branch 'main' (protected-branch)")
    expect(existsSync(path.join(workspace, 'docs', 'logs', 'login_report.log'))).toBe(false)
  })
})

/** Generous bound for a slow shared machine; with throttling the same commit takes at least 2 s. */
const CANCEL_PATH_LIMIT_MS = 1900

describe('commitSummaryHtml', () => {
  const lines = new Map([['docs/logs/login_report.log', '2026-12-04 10:30, success, 2.00']])

  test('links the commit', () => {
    const result: PublishResult = {
      ok: true,
      branch: 'main',
      outcome: {
        sha: 'a'.repeat(40),
        verified: true,
        reason: 'valid',
        attempts: 1,
        url: 'https://github.com/o/r/commit/aaaa',
        foundByMarker: false,
        files: new Map()
      }
    }

    expect(commitSummaryHtml(result, lines)).toBe(
      '<p>Commit: <a href="https://github.com/o/r/commit/aaaa"><code>aaaaaaa</code></a> on <code>main</code> (verified).</p>'
    )
  })

  test('failure lists lines escaped', () => {
    const result: PublishResult = { ok: false, branch: 'a<b', error: new Error('bad <token>') }

    const html = commitSummaryHtml(result, new Map([['docs/logs/x&y.log', 'line <1>']]))

    expect(html).toContain('<code>a&lt;b</code>')
    expect(html).toContain('bad &lt;token&gt;')
    expect(html).toContain('<pre>docs/logs/x&amp;y.log: line &lt;1&gt;</pre>')
  })

  test('off and no change', () => {
    expect(commitSummaryHtml(null, lines)).toContain('Commit: off')
    expect(commitSummaryHtml({ ok: true, branch: 'main', outcome: { noChange: true, attempts: 1 } }, lines)).toBe(
      '<p>Commit: no file changed on <code>main</code>.</p>'
    )
  })
})
