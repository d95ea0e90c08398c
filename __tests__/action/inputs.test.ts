import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { BUNDLED_SCRIPT_NAME, INPUT_DEFAULTS, readSettings, SettingsError } from '../../src/inputs.js'

let workspace: string
let bundledDir: string

const VALID: Record<string, string> = {
  username: 'health-bot',
  password: 'not-a-real-password',
  'auth-url': 'http://127.0.0.1:9/auth',
  'core-url': 'http://127.0.0.1:9/core/',
  'storage-url': 'http://127.0.0.1:9/storage',
  commit: 'false'
}

beforeAll(() => {
  workspace = mkdtempSync(path.join(tmpdir(), 'inputs-ws-'))
  bundledDir = mkdtempSync(path.join(tmpdir(), 'inputs-bundle-'))
  writeFileSync(path.join(bundledDir, BUNDLED_SCRIPT_NAME), 'print("bundled")\n')
  mkdirSync(path.join(workspace, 'checks'))
  writeFileSync(path.join(workspace, 'checks', 'mine.py'), 'print("mine")\n')
  writeFileSync(path.join(workspace, 'checks', 'empty.py'), '')
  // core.setSecret prints an add-mask command; keep the test output readable.
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
})

afterAll(() => {
  jest.restoreAllMocks()
  rmSync(workspace, { recursive: true, force: true })
  rmSync(bundledDir, { recursive: true, force: true })
})

function read(inputs: Record<string, string>) {
  const all = { ...VALID, ...inputs }
  return readSettings({ getInput: (name) => all[name] ?? '', workspace, bundledScriptDir: bundledDir })
}

function problemsOf(inputs: Record<string, string>): string[] {
  try {
    read(inputs)
  } catch (error) {
    if (error instanceof SettingsError) return error.problems
    throw error
  }
  throw new Error('readSettings accepted the inputs')
}

describe('readSettings', () => {
  it('applies the defaults', () => {
    const settings = read({})

    expect(settings.nodes).toEqual(['aggregator-1', 'default-1', 'default-2'])
    expect(settings.project).toBe('health-check')
    expect(settings.budgets).toEqual({ login: 10, bucket: 60, build: 120, distribution: 120, execution: 240, results: 60 })
    expect(settings.latencyLimit).toBe(600)
    expect(settings.pollInterval).toBe(3)
    expect(settings.polling).toBe('adaptive')
    expect(settings.maxParallel).toBe(0)
    expect(settings.staleAfter).toBe(3600)
    expect(settings.keepAnalyses).toBe('on-failure')
    expect(settings.precheck).toBe('auto')
    expect(settings.maxLogLines).toBe(2000)
    expect(settings.failOn).toBe('never')
    expect(settings.realm).toBeNull()
    expect(settings.masterImage).toBeNull()
  })

  it('resolves paths in the workspace', () => {
    const settings = read({})

    expect(settings.logDir).toBe(path.join(workspace, 'docs', 'logs'))
    expect(settings.logDirRelative).toBe('docs/logs')
    expect(settings.scriptPath).toBe(path.join(bundledDir, BUNDLED_SCRIPT_NAME))
    expect(new TextDecoder().decode(settings.script.content)).toBe('print("bundled")\n')
    expect(settings.script.fileName).toBe(BUNDLED_SCRIPT_NAME)
  })

  it('drops trailing slashes of URLs', () => {
    expect(read({}).coreUrl).toBe('http://127.0.0.1:9/core')
  })

  it('reads fractions and newline lists', () => {
    const settings = read({
      nodes: 'agg\n node-a ,\nnode-b\n',
      'build-timeout': '0.5',
      'poll-interval': '0.05',
      'latency-limit': '12.5',
      script: 'checks/mine.py'
    })

    expect(settings.nodes).toEqual(['agg', 'node-a', 'node-b'])
    expect(settings.budgets.build).toBe(0.5)
    expect(settings.pollInterval).toBe(0.05)
    expect(settings.latencyLimit).toBe(12.5)
    expect(settings.script.fileName).toBe('mine.py')
  })

  it('sums budgets for an empty latency limit', () => {
    expect(read({ 'bucket-timeout': '1', 'build-timeout': '2', 'results-timeout': '3' }).latencyLimit).toBe(
      1 + 2 + 120 + 240 + 3
    )
  })

  it('keeps a password with spaces', () => {
    expect(read({ password: ' pass word ' }).password).toBe(' pass word ')
  })

  it.each([
    [
      { password: '' },
      "Input 'password' is empty. Set it from a secret: `password: ${{ secrets.FLAME_PASSWORD }}`; an unset " +
        'secret expands to an empty string.'
    ],
    [
      { username: '  ' },
      "Input 'username' is empty. Set it from a secret: `username: ${{ secrets.FLAME_USERNAME }}`; an unset " +
        'secret expands to an empty string.'
    ],
    [
      { 'core-url': '' },
      "Input 'core-url' is empty. Set it to the Hub service URL, e.g. https://core.staging.privateaim.net."
    ],
    [
      { 'auth-url': 'auth.example' },
      "Input 'auth-url' is not a valid URL: 'auth.example'. Give an absolute http(s) URL such as " +
        'https://auth.staging.privateaim.net.'
    ],
    [
      { 'auth-url': 'https://bot:s3cret@127.0.0.1:99999/auth?token=abc' },
      "Input 'auth-url' is not a valid URL: 'https://***@127.0.0.1:99999/auth?***'. Give an absolute http(s) URL " +
        'such as https://auth.staging.privateaim.net.'
    ],
    [
      { 'storage-url': 'ftp://127.0.0.1/storage' },
      "Input 'storage-url' must be an http or https URL, got 'ftp://127.0.0.1/storage'. Use e.g. " +
        'https://storage.staging.privateaim.net.'
    ],
    [
      { 'core-url': 'http://bot:hunter2@127.0.0.1/core' },
      "Input 'core-url' contains credentials in the URL 'http://***:***@127.0.0.1/core'. Remove them and pass them " +
        "through the 'username' and " +
        "'password' inputs."
    ],
    [
      { 'core-url': 'http://127.0.0.1/core?x=1' },
      "Input 'core-url' must not contain a query or fragment, got 'http://127.0.0.1/core' with a query. Remove " +
        "everything from the '?' or '#' on, e.g. https://core.staging.privateaim.net."
    ],
    [
      { 'build-timeout': '-5' },
      "Input 'build-timeout' must be a positive number of seconds (fractions allowed), got '-5'."
    ],
    [{ 'login-timeout': '0' }, "Input 'login-timeout' must be a positive number of seconds (fractions allowed), got '0'."],
    [
      { 'results-timeout': 'Infinity' },
      "Input 'results-timeout' must be a positive number of seconds (fractions allowed), got 'Infinity'."
    ],
    [
      { 'poll-interval': '3s' },
      "Input 'poll-interval' must be a positive number of seconds (fractions allowed), got '3s'."
    ],
    [
      { 'latency-limit': 'NaN' },
      "Input 'latency-limit' must be a positive number of seconds (fractions allowed), got 'NaN'."
    ],
    [{ 'max-log-lines': '0' }, "Input 'max-log-lines' must be a whole number of at least 1, got '0'."],
    [{ 'max-log-lines': '2.5' }, "Input 'max-log-lines' must be a whole number of at least 1, got '2.5'."],
    [{ 'max-parallel': '-1' }, "Input 'max-parallel' must be a whole number of at least 0, got '-1'."],
    [
      { 'fail-on': 'always' },
      "Input 'fail-on' must be one of 'never', 'major-outage', 'partial-outage', 'any-failure', got 'always'."
    ],
    [
      { 'keep-analyses': 'sometimes' },
      "Input 'keep-analyses' must be one of 'on-failure', 'always', 'never', got 'sometimes'."
    ],
    [{ precheck: 'ON' }, "Input 'precheck' must be one of 'auto', 'online', 'off', got 'ON'."],
    [{ polling: 'smart' }, "Input 'polling' must be one of 'adaptive', 'fixed', got 'smart'."],
    [
      { nodes: 'aggregator-1' },
      "Input 'nodes' needs the aggregator and at least one compute node, got 1 name: 'aggregator-1'. Separate " +
        'names with commas or newlines.'
    ],
    [
      { nodes: 'aggregator-1, default-1, default-1' },
      "Input 'nodes' lists 'default-1' more than once. List each node once."
    ],
    [
      { nodes: 'aggregator-1, ../etc' },
      "Input 'nodes' contains an invalid node name '../etc'. A name starts with a letter or digit and contains " +
        'only letters, digits, dots, hyphens and underscores.'
    ],
    [
      { 'log-dir': '../outside' },
      `Input 'log-dir' must be a folder inside the workspace '${'WORKSPACE'}', got '../outside'. Give a ` +
        'relative path such as docs/logs.'
    ],
    [
      { script: 'checks/missing.py' },
      `Input 'script': the file '${'WORKSPACE'}/checks/missing.py' does not exist. Give a path relative to the ` +
        `workspace, or leave 'script' empty to use the bundled ${BUNDLED_SCRIPT_NAME}.`
    ],
    [
      { script: 'checks' },
      `Input 'script' must name a file, but '${'WORKSPACE'}/checks' is not a regular file. Give a path relative ` +
        `to the workspace, or leave 'script' empty to use the bundled ${BUNDLED_SCRIPT_NAME}.`
    ],
    [
      { script: 'checks/empty.py' },
      `Input 'script': the file '${'WORKSPACE'}/checks/empty.py' has 0 bytes; an analysis script must have 1 to ` +
        '1048576 bytes.'
    ]
  ])('rejects %j', (inputs, message) => {
    expect(problemsOf(inputs)).toEqual([message.replaceAll('WORKSPACE', workspace)])
  })

  it('lists every problem at once', () => {
    const problems = problemsOf({ password: '', 'build-timeout': 'x', 'fail-on': 'y', nodes: 'a,a' })

    expect(problems).toHaveLength(4)
  })

  it('never repeats a URL password', () => {
    const problems = problemsOf({ 'core-url': 'ftp://bot:hunter2@127.0.0.1/core' })

    expect(problems.join('\n')).not.toContain('hunter2')
  })

  it('rejects the workspace itself as log-dir', () => {
    expect(problemsOf({ 'log-dir': '.' })[0]).toContain("Input 'log-dir' must be a folder inside the workspace")
  })

  it('reports a missing bundled script', () => {
    const problems = (() => {
      try {
        readSettings({ getInput: (name) => VALID[name] ?? '', workspace, bundledScriptDir: path.join(workspace, 'none') })
      } catch (error) {
        return (error as SettingsError).problems
      }
      return []
    })()

    expect(problems).toEqual([
      `Input 'script': the file '${path.join(workspace, 'none', BUNDLED_SCRIPT_NAME)}' does not exist. The ` +
        "action bundle is incomplete; check out the whole action repository, or set 'script'."
    ])
  })

  it('finds the bundled script', () => {
    const settings = readSettings({ getInput: (name) => VALID[name] ?? '', workspace })

    expect(settings.scriptPath).toBe(fileURLToPath(new URL(`../../flame_checks/${BUNDLED_SCRIPT_NAME}`, import.meta.url)))
    expect(settings.script.content.length).toBeGreaterThan(0)
  })

  it('masks the password', () => {
    const writes: string[] = []
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      writes.push(String(chunk))
      return true
    })

    read({ password: 'mask-me-please' })

    expect(writes.join('')).toContain('::add-mask::mask-me-please')
  })
})

describe('action.yml', () => {
  const actionYml = readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')
  const inputsBlock = actionYml.slice(actionYml.indexOf('\ninputs:'), actionYml.indexOf('\noutputs:'))
  const declared = new Map<string, string | undefined>()
  let current: string | null = null
  for (const line of inputsBlock.split('\n')) {
    const name = /^ {2}([a-z-]+):\s*$/.exec(line)
    if (name) {
      current = name[1]!
      declared.set(current, undefined)
    }
    const fallback = /^ {4}default: (.*)$/.exec(line)
    if (fallback && current !== null) declared.set(current, fallback[1]!.replace(/^'(.*)'$/, '$1'))
  }

  it('declares every defaulted input', () => {
    for (const name of Object.keys(INPUT_DEFAULTS)) expect(declared.has(name)).toBe(true)
  })

  it.each(Object.entries(INPUT_DEFAULTS))('default of %s matches', (name, value) => {
    expect(declared.get(name)).toBe(value)
  })

  it('points Hub URLs at staging', () => {
    expect(declared.get('core-url')).toBe('https://core.staging.privateaim.net')
    expect(declared.get('auth-url')).toBe('https://auth.staging.privateaim.net')
    expect(declared.get('storage-url')).toBe('https://storage.staging.privateaim.net')
  })
})
