// The status page files in the real commit loop against the git-backed GitHub API emulator:
// one commit with logs, status.json, badges and the missing template files, existing page
// files kept, and artifacts that follow a competing commit.

import { afterAll, afterEach, beforeAll, expect, jest, test } from '@jest/globals'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { commitChangeSets } from '../../src/publish/commit.js'
import { historyChangeSet } from '../../src/publish/history-changes.js'
import { publishRound, type PublishOptions } from '../../src/publish/publish.js'
import { statusPageChangeSets, statusPagePaths } from '../../src/publish/status-page.js'
import { startGitHubEmulator, type GitHubEmulator } from '../../simulator/github/index.js'
import { emulatorClient, git, instantClock, memoryLog, show } from '../publish/helpers.js'

const NODES = ['aggregator-1', 'default-1', 'default-2']
const KEYS = ['login', 'upload', 'distribute', 'execute', 'results', 'latency', ...NODES.map((node) => `node_${node}`)]
const NOW = Date.parse('2026-12-04T10:35:00Z')

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

/** Starts the emulator with one earlier round in every log and a consumer's own config.js. */
async function setUp(round: (key: string) => string): Promise<{ target: GitHubEmulator; options: PublishOptions }> {
  const seed: Record<string, string> = { 'docs/config.js': 'export default { title: "Our Hub" }\n' }
  for (const key of KEYS) seed[`docs/logs/${key}_report.log`] = '2026-12-04 10:00, success, 1.00\n'
  const target = await startGitHubEmulator({ seed })
  emulator = target
  process.env.GITHUB_API_URL = target.url
  workspace = mkdtempSync(path.join(tmpdir(), 'publish-page-ws-'))

  const history = historyChangeSet({ logDir: 'docs/logs', lines: new Map(KEYS.map((key) => [key, round(key)])), maxLines: 100 })
  const pageOptions = { logDir: 'docs/logs', nodes: NODES, aggregator: 'aggregator-1', latencyLimitSeconds: 600, mode: 'auto' as const, now: NOW }
  const page = statusPageChangeSets(pageOptions)
  const options: PublishOptions = {
    settings: {
      enabled: true,
      token: 'test-token',
      owner: target.owner,
      repo: target.repo,
      branch: 'main',
      message: '[Automated] Update E2E health check logs [skip ci]',
      runMarker: '91/1'
    },
    changeSets: [history, ...page],
    status: 'partial_outage',
    workspace,
    workspacePaths: new Set([...history.paths, ...statusPagePaths(pageOptions, page)]),
    cancelled: false,
    log: memoryLog()
  }
  return { target, options }
}

test('one commit with logs and page', async () => {
  const { target, options } = await setUp((key) => (key === 'node_default-2' ? '2026-12-04 10:30, failed, ' : '2026-12-04 10:30, success, 2.00'))

  const result = await publishRound(options)

  expect(result.ok).toBe(true)
  expect(git(target, 'rev-list', '--count', 'main')).toBe('2')
  const changed = git(target, 'show', '--name-only', '--format=', 'main').split('\n').sort()
  expect(changed).toEqual(expect.arrayContaining(['docs/status.json', 'docs/badges/overall.svg', 'docs/badges/node-default-2.json', 'docs/index.html', 'docs/js/main.js', 'docs/logs/login_report.log']))
  expect(changed).not.toContain('docs/config.js')
  expect(show(target, 'docs/config.js')).toBe('export default { title: "Our Hub" }\n')

  const status = JSON.parse(show(target, 'docs/status.json'))
  expect(status.overall).toBe('partial_outage')
  expect(status.last_run_at).toBe('2026-12-04T10:30:00.000Z')
  expect(status.components.find((component: { id: string }) => component.id === 'node_default-2').status).toBe('major_outage')
  expect(JSON.parse(show(target, 'docs/badges/node-default-2.json')).message).toBe('down')

  expect(JSON.parse(readFileSync(path.join(workspace, 'docs', 'status.json'), 'utf8'))).toEqual(status)
  expect(readFileSync(path.join(workspace, 'docs', 'index.html'), 'utf8')).toBe(show(target, 'docs/index.html'))
})

test('artifacts follow a competing commit', async () => {
  const { target, options } = await setUp(() => '2026-12-04 10:30, success, 2.00')
  // Another run commits a failed login round just before this run's ref update.
  target.faults.add({ endpoint: 'updateRef', fault: { kind: 'competing-commit', append: { 'docs/logs/login_report.log': '2026-12-04 10:31, failed, 0.50\n' } } })

  // The commit loop alone, without throttling and with instant backoff, keeps this test fast.
  const log = memoryLog()
  const result = await commitChangeSets({
    octokit: emulatorClient(target, log),
    owner: target.owner,
    repo: target.repo,
    branch: 'main',
    message: options.settings.message,
    runMarker: options.settings.runMarker,
    changeSets: options.changeSets,
    clock: instantClock(),
    log
  })

  if (!('sha' in result)) throw new Error('the commit loop committed nothing')
  expect(result.attempts).toBe(2)
  expect(show(target, 'docs/logs/login_report.log')).toBe(
    '2026-12-04 10:00, success, 1.00\n2026-12-04 10:31, failed, 0.50\n2026-12-04 10:30, success, 2.00\n'
  )
  // The newest round is the competing run's 10:31 with login failed, read from the fresh head.
  const status = JSON.parse(show(target, 'docs/status.json'))
  expect(status.last_run_at).toBe('2026-12-04T10:31:00.000Z')
  expect(status.overall).toBe('major_outage')
})
