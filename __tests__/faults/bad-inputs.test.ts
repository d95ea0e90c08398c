// Invalid inputs through the bundled action. Each run ends with exactly one error line that
// names the input, shows the value (secrets masked) and gives the fix, before the Hub
// simulator receives a single request.

import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'

import { startHubSimulator, type HubSimulator } from '../../simulator/hub/index.js'
import { buildAction, errorLines, runAction } from './action-run.js'

let sim: HubSimulator
let entry: string
let validInputs: Record<string, string>

beforeAll(async () => {
  entry = await buildAction()
  sim = await startHubSimulator({ timeScale: 0.01, port: 0 })
  validInputs = {
    username: sim.username,
    password: sim.password,
    'auth-url': sim.authUrl,
    'core-url': sim.coreUrl,
    'storage-url': sim.storageUrl,
    nodes: 'aggregator-1, default-1, default-2',
    commit: 'false'
  }
}, 300_000)

afterAll(async () => {
  await sim.stop()
})

const COMMIT_INPUTS = { commit: 'true', 'github-token': 'ghs_faketoken1234567890', repository: 'owner/status', branch: 'main' }

interface BadInput {
  name: string
  inputs: Record<string, string>
  /** Texts the one error line contains: the input, the value and the fix. */
  expected: string[]
  /** Texts that must not appear anywhere in the output (secrets). */
  secret?: string
  prepareWorkspace?: (workspace: string) => void
}

const BAD_INPUTS: BadInput[] = [
  { name: 'empty password', inputs: { password: '' }, expected: ["Input 'password' is empty", '${{ secrets.FLAME_PASSWORD }}'] },
  { name: 'blank password', inputs: { password: '   ' }, expected: ["Input 'password' is empty", 'unset secret'] },
  { name: 'empty username', inputs: { username: '' }, expected: ["Input 'username' is empty", '${{ secrets.FLAME_USERNAME }}'] },
  { name: 'malformed auth URL', inputs: { 'auth-url': 'auth host' }, expected: ["Input 'auth-url'", "'auth host'", 'https://auth.staging.privateaim.net'] },
  { name: 'ftp core URL', inputs: { 'core-url': 'ftp://127.0.0.1/core' }, expected: ["Input 'core-url'", "'ftp://127.0.0.1/core'", 'http or https'] },
  {
    name: 'credentials in storage URL',
    inputs: { 'storage-url': 'http://bot:pw-in-url-123@127.0.0.1:9/storage' },
    expected: ["Input 'storage-url'", "'http://***:***@127.0.0.1:9/storage'", "'username' and 'password' inputs"],
    secret: 'pw-in-url-123'
  },
  {
    name: 'token in core URL query',
    inputs: { 'core-url': 'http://127.0.0.1:9/core?access_token=query-secret-456' },
    expected: ["Input 'core-url'", "'http://127.0.0.1:9/core' with a query", "Remove everything from the '?'"],
    secret: 'query-secret-456'
  },
  { name: 'negative login timeout', inputs: { 'login-timeout': '-5' }, expected: ["Input 'login-timeout'", "'-5'", 'positive number of seconds'] },
  { name: 'word as build timeout', inputs: { 'build-timeout': 'soon' }, expected: ["Input 'build-timeout'", "'soon'", 'positive number'] },
  { name: 'zero execution timeout', inputs: { 'execution-timeout': '0' }, expected: ["Input 'execution-timeout'", "'0'", 'positive'] },
  { name: 'infinite results timeout', inputs: { 'results-timeout': 'Infinity' }, expected: ["Input 'results-timeout'", "'Infinity'"] },
  {
    name: 'bucket timeout over a day',
    inputs: { 'bucket-timeout': '100000' },
    expected: ["Input 'bucket-timeout'", 'at most 86400 seconds', "'100000'", 'shorter time']
  },
  { name: 'exponent poll interval', inputs: { 'poll-interval': '1e3' }, expected: ["Input 'poll-interval'", "'1e3'"] },
  { name: 'NaN latency limit', inputs: { 'latency-limit': 'NaN' }, expected: ["Input 'latency-limit'", "'NaN'"] },
  { name: 'negative stale-after', inputs: { 'stale-after': '-1' }, expected: ["Input 'stale-after'", "'-1'"] },
  {
    name: 'duplicate node names',
    inputs: { nodes: 'aggregator-1, default-1, default-1' },
    expected: ["Input 'nodes' lists 'default-1' more than once", 'List each node once']
  },
  { name: 'single node', inputs: { nodes: 'aggregator-1' }, expected: ["Input 'nodes'", "'aggregator-1'", 'Separate names with commas'] },
  { name: 'node name with a space', inputs: { nodes: 'aggregator-1, default 1' }, expected: ["Input 'nodes'", "'default 1'", 'only letters, digits'] },
  {
    name: 'unknown fail-on',
    inputs: { 'fail-on': 'always' },
    expected: ["Input 'fail-on'", "'always'", "'never', 'major-outage', 'partial-outage', 'any-failure'"]
  },
  { name: 'unknown precheck', inputs: { precheck: 'maybe' }, expected: ["Input 'precheck'", "'maybe'", "'auto', 'online', 'off'"] },
  {
    name: 'unknown keep-analyses',
    inputs: { 'keep-analyses': 'sometimes' },
    expected: ["Input 'keep-analyses'", "'sometimes'", "'on-failure', 'always', 'never'"]
  },
  { name: 'unknown polling', inputs: { polling: 'random' }, expected: ["Input 'polling'", "'random'", "'adaptive', 'fixed'"] },
  { name: 'max-log-lines zero', inputs: { 'max-log-lines': '0' }, expected: ["Input 'max-log-lines'", "'0'", 'at least 1'] },
  { name: 'negative max-parallel', inputs: { 'max-parallel': '-1' }, expected: ["Input 'max-parallel'", "'-1'", 'at least 0'] },
  { name: 'log-dir escaping upwards', inputs: { 'log-dir': '../outside' }, expected: ["Input 'log-dir'", "'../outside'", 'relative path such as docs/logs'] },
  { name: 'absolute log-dir elsewhere', inputs: { 'log-dir': '/etc' }, expected: ["Input 'log-dir'", "'/etc'", 'inside the workspace'] },
  {
    name: 'missing script',
    inputs: { script: 'checks/missing.py' },
    expected: ["Input 'script'", 'checks/missing.py', 'does not exist', 'relative to the workspace']
  },
  {
    name: 'empty script',
    inputs: { script: 'empty.py' },
    expected: ["Input 'script'", 'empty.py', 'has 0 bytes'],
    prepareWorkspace: (workspace) => writeFileSync(path.join(workspace, 'empty.py'), '')
  },
  {
    name: 'unreadable history file',
    inputs: {},
    expected: ["Input 'log-dir'", 'node_default-1_report.log', 'not a regular file', 'Remove it'],
    // A folder in place of the file cannot be read even by root, unlike a file without permissions.
    prepareWorkspace: (workspace) => mkdirSync(path.join(workspace, 'docs', 'logs', 'node_default-1_report.log'), { recursive: true })
  },
  {
    name: 'log-dir is a file',
    inputs: { 'log-dir': 'status.txt' },
    expected: ["Input 'log-dir'", 'status.txt', 'is not a folder'],
    prepareWorkspace: (workspace) => writeFileSync(path.join(workspace, 'status.txt'), 'x')
  },
  { name: 'commit not boolean', inputs: { commit: 'yes' }, expected: ["Input 'commit'", "'yes'", 'true or false'] },
  {
    name: 'empty github-token',
    inputs: { ...COMMIT_INPUTS, 'github-token': '' },
    expected: ["Input 'github-token' is empty", '${{ github.token }}', "'commit: false'"]
  },
  {
    name: 'repository without owner',
    inputs: { ...COMMIT_INPUTS, repository: 'status' },
    expected: ["Input 'repository'", "'status'", 'owner/name'],
    secret: COMMIT_INPUTS['github-token']
  },
  {
    name: 'invalid branch name',
    inputs: { ...COMMIT_INPUTS, branch: 'bad..branch' },
    expected: ["Input 'branch'", "'bad..branch'", 'main or status-data'],
    secret: COMMIT_INPUTS['github-token']
  }
]

/** Drops the `::add-mask::` lines, which hand the secrets to the runner so it can mask them. */
function withoutMaskCommands(stdout: string): string {
  return stdout
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n')
}

describe('invalid inputs through the bundled action', () => {
  test('at least 25 cases', () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(25)
  })

  test.concurrent.each(BAD_INPUTS.map((badInput) => [badInput.name, badInput] as const))(
    '%s',
    async (_name, badInput) => {
      const run = await runAction(entry, { ...validInputs, ...badInput.inputs }, { prepareWorkspace: badInput.prepareWorkspace })

      expect(run.exitCode).toBe(1)
      const errors = errorLines(run.stdout)
      expect(errors).toHaveLength(1)
      for (const text of badInput.expected) expect(errors[0]).toContain(text)
      expect(run.stdout).toContain('No round was run, because 1 input is invalid.')
      expect(run.stderr).toBe('')
      if (badInput.secret !== undefined) expect(withoutMaskCommands(run.stdout)).not.toContain(badInput.secret)

      // Nothing reached the Hub and nothing was written.
      expect(sim.stats().total).toBe(0)
      expect(run.logs.size).toBe(0)
      expect(run.outputs.size).toBe(0)
    },
    60_000
  )

  test('password masked in the error', async () => {
    // The password is registered as a secret first, so a runner masks it in every later line.
    const run = await runAction(entry, { ...validInputs, 'login-timeout': 'x' })

    expect(run.stdout).toContain(`::add-mask::${sim.password}`)
    expect(withoutMaskCommands(run.stdout)).not.toContain(sim.password)
  }, 60_000)
})
