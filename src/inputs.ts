// Builds the validated Settings from the action's inputs. This is the only module that
// calls core.getInput, and later code reads only the Settings object.

import * as core from '@actions/core'
import { accessSync, constants, readFileSync, statSync, type Stats } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { historyKeys, logPath } from './history/write.js'
import { type CommitSettings, parseCommitSettings } from './publish/commit-settings.js'
import type { StatusPageMode } from './publish/template.js'
import type { RoundSettings } from './round/settings.js'

export type FailOn = 'never' | 'major-outage' | 'partial-outage' | 'any-failure'

const FAIL_ON_VALUES: readonly FailOn[] = ['never', 'major-outage', 'partial-outage', 'any-failure']
const KEEP_ANALYSES_VALUES: readonly RoundSettings['keepAnalyses'][] = ['on-failure', 'always', 'never']
const PRECHECK_VALUES: readonly RoundSettings['precheck'][] = ['auto', 'online', 'off']
const POLLING_VALUES: readonly RoundSettings['polling'][] = ['adaptive', 'fixed']
const STATUS_PAGE_VALUES: readonly StatusPageMode[] = ['auto', 'off']

/** Everything the action reads from its inputs, validated. */
export interface Settings extends RoundSettings {
  username: string
  password: string
  authUrl: string
  coreUrl: string
  storageUrl: string
  realm: string | null
  /** Absolute path of the analysis script that `script.content` was read from. */
  scriptPath: string
  /** Absolute path of the workspace (GITHUB_WORKSPACE, else the working directory). */
  workspace: string
  /** Absolute path of the history folder, inside the workspace. */
  logDir: string
  /** The history folder relative to the workspace, with forward slashes (e.g. `docs/logs`). */
  logDirRelative: string
  maxLogLines: number
  failOn: FailOn
  /** The commit of the round's files through the GitHub API (inputs commit, github-token, repository, branch, commit-message). */
  commit: CommitSettings
  /** `auto` adds the status page files missing beside the log folder; `off` adds none. */
  statusPage: StatusPageMode
}

/** The file name of the analysis script shipped with the action. */
export const BUNDLED_SCRIPT_NAME = '00_test_connection.py'

/**
 * Defaults of the optional inputs, the same strings as in action.yml (a test compares
 * them). They apply when an input is empty, e.g. when dist/index.js runs outside a runner.
 * The Hub URLs have no default here on purpose, so a local run never reaches staging.
 */
export const INPUT_DEFAULTS: Readonly<Record<string, string>> = {
  realm: '',
  nodes: 'aggregator-1, default-1, default-2',
  project: 'health-check',
  'master-image': '',
  script: '',
  'login-timeout': '10',
  'bucket-timeout': '60',
  'build-timeout': '120',
  'distribution-timeout': '120',
  'execution-timeout': '240',
  'results-timeout': '60',
  'latency-limit': '',
  'poll-interval': '3',
  polling: 'adaptive',
  'max-parallel': '0',
  'stale-after': '3600',
  'keep-analyses': 'on-failure',
  precheck: 'auto',
  'log-dir': 'docs/logs',
  'max-log-lines': '2000',
  'status-page': 'auto',
  'fail-on': 'never',
  commit: 'true',
  'commit-message': '[Automated] Update E2E health check logs [skip ci]'
}

/** Maximum size of the analysis script in bytes, a sanity limit of this action rather than a Hub limit. */
const MAX_SCRIPT_BYTES = 1024 * 1024

/** Characters allowed in a node name, which also becomes part of a history file name. */
const NODE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

/** Invalid inputs, one message per problem, so the user can fix them all in one go. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError'

  constructor(readonly problems: string[]) {
    super(`${problems.length} invalid input${problems.length === 1 ? '' : 's'}:\n${problems.join('\n')}`)
  }
}

export interface ReadSettingsOptions {
  /** Reader of one raw input, by default core.getInput without trimming. */
  getInput?: (name: string) => string
  /** Defaults to GITHUB_WORKSPACE, else the working directory. */
  workspace?: string
  /** Folder of the bundled analysis script, by default `../flame_checks` relative to this module's folder. */
  bundledScriptDir?: string
}

/**
 * Reads and validates every input. Throws SettingsError listing every invalid input.
 * Registers the password as a secret before anything can print it.
 */
export function readSettings(options: ReadSettingsOptions = {}): Settings {
  const getRaw = options.getInput ?? ((name: string) => core.getInput(name, { trimWhitespace: false }))
  const workspace = path.resolve(options.workspace ?? process.env.GITHUB_WORKSPACE ?? process.cwd())
  const problems: string[] = []
  const input = (name: string): string => {
    const value = getRaw(name).trim()
    return value === '' ? (INPUT_DEFAULTS[name] ?? '') : value
  }

  const password = getRaw('password')
  if (password.trim() !== '') core.setSecret(password)
  const username = input('username')
  if (username === '') problems.push(emptySecretMessage('username', 'FLAME_USERNAME'))
  if (password.trim() === '') problems.push(emptySecretMessage('password', 'FLAME_PASSWORD'))

  const authUrl = parseUrl('auth-url', input('auth-url'), 'https://auth.staging.privateaim.net', problems)
  const coreUrl = parseUrl('core-url', input('core-url'), 'https://core.staging.privateaim.net', problems)
  const storageUrl = parseUrl('storage-url', input('storage-url'), 'https://storage.staging.privateaim.net', problems)

  const nodes = parseNodes(input('nodes'), problems)

  const budgets = {
    login: parseSeconds('login-timeout', input('login-timeout'), problems),
    bucket: parseSeconds('bucket-timeout', input('bucket-timeout'), problems),
    build: parseSeconds('build-timeout', input('build-timeout'), problems),
    distribution: parseSeconds('distribution-timeout', input('distribution-timeout'), problems),
    execution: parseSeconds('execution-timeout', input('execution-timeout'), problems),
    results: parseSeconds('results-timeout', input('results-timeout'), problems)
  }

  // An empty latency limit is the sum of the pair budgets, so a pair that uses each
  // budget fully is still within the limit (600 s with the default budgets).
  const latencyRaw = input('latency-limit')
  const latencyLimit =
    latencyRaw === ''
      ? budgets.bucket + budgets.build + budgets.distribution + budgets.execution + budgets.results
      : parseSeconds('latency-limit', latencyRaw, problems, Number.MAX_VALUE)

  const { logDir, logDirRelative } = parseLogDir(input('log-dir'), workspace, problems)
  checkHistoryFiles(logDir, nodes.filter((name) => NODE_NAME_PATTERN.test(name)), problems)
  const script = readScript(input('script'), workspace, options.bundledScriptDir ?? defaultBundledScriptDir(), problems)

  const settings: Settings = {
    username,
    password,
    authUrl,
    coreUrl,
    storageUrl,
    realm: input('realm') || null,
    nodes,
    project: parseProject(input('project'), problems),
    masterImage: input('master-image') || null,
    script: { fileName: script.fileName, content: script.content },
    scriptPath: script.path,
    budgets,
    latencyLimit,
    pollInterval: parseSeconds('poll-interval', input('poll-interval'), problems),
    polling: parseEnum('polling', input('polling'), POLLING_VALUES, problems),
    maxParallel: parseInteger('max-parallel', input('max-parallel'), 0, problems),
    staleAfter: parseSeconds('stale-after', input('stale-after'), problems, Number.MAX_VALUE),
    keepAnalyses: parseEnum('keep-analyses', input('keep-analyses'), KEEP_ANALYSES_VALUES, problems),
    precheck: parseEnum('precheck', input('precheck'), PRECHECK_VALUES, problems),
    workspace,
    logDir,
    logDirRelative,
    maxLogLines: parseInteger('max-log-lines', input('max-log-lines'), 1, problems),
    failOn: parseEnum('fail-on', input('fail-on'), FAIL_ON_VALUES, problems),
    commit: parseCommitSettings(input, process.env, problems),
    statusPage: parseEnum('status-page', input('status-page'), STATUS_PAGE_VALUES, problems)
  }

  // octokit.ts masks the token again when it builds the client; this covers everything before.
  if (settings.commit.enabled && settings.commit.token !== '') core.setSecret(settings.commit.token)

  if (problems.length > 0) throw new SettingsError(problems)
  return settings
}

function emptySecretMessage(name: string, secret: string): string {
  return (
    `Input '${name}' is empty. Set it from a secret: \`${name}: \${{ secrets.${secret} }}\`; ` +
    'an unset secret expands to an empty string.'
  )
}

/** Parses a service URL and drops trailing slashes but keeps a path prefix. */
function parseUrl(name: string, raw: string, example: string, problems: string[]): string {
  if (raw === '') {
    problems.push(`Input '${name}' is empty. Set it to the Hub service URL, e.g. ${example}.`)
    return ''
  }

  let url: URL
  try {
    url = new URL(raw)
  } catch {
    // An unparsable value may still carry credentials before an '@', or a query, so both are masked.
    const shown = raw.replace(/\/\/[^/@]*@/, '//***@').replace(/[?#].*$/, '?***')
    problems.push(`Input '${name}' is not a valid URL: '${shown}'. Give an absolute http(s) URL such as ${example}.`)
    return ''
  }

  // Checked before the protocol, so no other message repeats a URL that carries a password.
  if (url.username !== '' || url.password !== '') {
    url.username = url.username === '' ? '' : '***'
    url.password = url.password === '' ? '' : '***'
    problems.push(
      `Input '${name}' contains credentials in the URL '${url.href}'. Remove them and pass them through the ` +
        "'username' and 'password' inputs."
    )
    return ''
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.push(`Input '${name}' must be an http or https URL, got '${raw}'. Use e.g. ${example}.`)
    return ''
  }
  if (url.search !== '' || url.hash !== '') {
    // The query may carry a token, so the message shows the URL without it.
    const part = url.search !== '' ? 'query' : 'fragment'
    problems.push(
      `Input '${name}' must not contain a query or fragment, got '${url.origin}${url.pathname}' with a ${part}. ` +
        `Remove everything from the '?' or '#' on, e.g. ${example}.`
    )
    return ''
  }

  return url.href.replace(/\/+$/, '')
}

function parseNodes(raw: string, problems: string[]): string[] {
  const names = raw
    .split(/[,\n]/)
    .map((name) => name.trim())
    .filter((name) => name !== '')

  if (names.length < 2) {
    problems.push(
      `Input 'nodes' needs the aggregator and at least one compute node, got ${names.length} name` +
        `${names.length === 1 ? '' : 's'}: '${raw}'. Separate names with commas or newlines.`
    )
  }

  for (const name of names) {
    if (!NODE_NAME_PATTERN.test(name)) {
      problems.push(
        `Input 'nodes' contains an invalid node name '${name}'. A name starts with a letter or digit and ` +
          'contains only letters, digits, dots, hyphens and underscores.'
      )
    }
  }

  const seen = new Set<string>()
  for (const name of names) {
    if (seen.has(name)) problems.push(`Input 'nodes' lists '${name}' more than once. List each node once.`)
    seen.add(name)
  }

  return names
}

function parseProject(raw: string, problems: string[]): string {
  if (raw === '') problems.push("Input 'project' is empty. Give the name of the Hub project, e.g. health-check.")
  return raw
}

/**
 * Maximum of an input that becomes a timer. Node.js fires a timer longer than 2^31 - 1 ms
 * (about 24.8 days) after 1 ms instead, so a larger budget would end its wait at once.
 */
export const MAX_TIMER_SECONDS = 86_400

/** Parses a positive, finite number of seconds, fractions included, up to `max`. */
function parseSeconds(name: string, raw: string, problems: string[], max = MAX_TIMER_SECONDS): number {
  const value = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : Number.NaN
  if (!Number.isFinite(value) || value <= 0) {
    problems.push(`Input '${name}' must be a positive number of seconds (fractions allowed), got '${raw}'.`)
    return Number.NaN
  }
  if (value > max) {
    problems.push(`Input '${name}' must be at most ${max} seconds, got '${raw}'. Give a shorter time.`)
    return Number.NaN
  }
  return value
}

function parseInteger(name: string, raw: string, min: number, problems: string[]): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN
  if (!Number.isSafeInteger(value) || value < min) {
    problems.push(`Input '${name}' must be a whole number of at least ${min}, got '${raw}'.`)
    return Number.NaN
  }
  return value
}

function parseEnum<T extends string>(name: string, raw: string, allowed: readonly T[], problems: string[]): T {
  if ((allowed as readonly string[]).includes(raw)) return raw as T
  problems.push(`Input '${name}' must be one of ${allowed.map((value) => `'${value}'`).join(', ')}, got '${raw}'.`)
  return allowed[0]!
}

function parseLogDir(
  raw: string,
  workspace: string,
  problems: string[]
): { logDir: string; logDirRelative: string } {
  const logDir = path.resolve(workspace, raw)
  const relative = path.relative(workspace, logDir)
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
    problems.push(
      `Input 'log-dir' must be a folder inside the workspace '${workspace}', got '${raw}'. ` +
        'Give a relative path such as docs/logs.'
    )
  }
  return { logDir, logDirRelative: relative.split(path.sep).join('/') }
}

/**
 * Reports a history folder or file that exists but cannot be read or written, because the
 * round could not append its lines there. Found before the round, it costs no Hub time.
 */
function checkHistoryFiles(logDir: string, nodes: string[], problems: string[]): void {
  const folder = statOrNull(logDir, problems, `the history folder '${logDir}'`)
  if (folder === null) return
  if (!folder.isDirectory()) {
    problems.push(`Input 'log-dir': '${logDir}' exists but is not a folder. Remove it or choose another 'log-dir'.`)
    return
  }

  for (const key of historyKeys(nodes)) {
    const file = logPath(logDir, key)
    const stat = statOrNull(file, problems, `the history file '${file}'`)
    if (stat === null) continue
    if (!stat.isFile()) {
      problems.push(`Input 'log-dir': the history file '${file}' is not a regular file. Remove it or choose another 'log-dir'.`)
      continue
    }
    try {
      accessSync(file, constants.R_OK | constants.W_OK)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error)
      problems.push(`Input 'log-dir': the history file '${file}' cannot be read and written (${code}). Fix its permissions or remove it.`)
    }
  }
}

/** Returns the stat of `file`, or null when it does not exist or cannot be inspected (a problem then). */
function statOrNull(file: string, problems: string[], description: string): Stats | null {
  try {
    return statSync(file)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      problems.push(`Input 'log-dir': ${description} cannot be inspected (${code ?? String(error)}). Fix its permissions.`)
    }
    return null
  }
}

/** Folder of the bundled script: `flame_checks/` next to the folder of dist/index.js (or src/ in tests). */
function defaultBundledScriptDir(): string {
  const moduleDir = path.dirname(fileURLToPath(import.meta.url))
  return path.join(moduleDir, '..', 'flame_checks')
}

function readScript(
  raw: string,
  workspace: string,
  bundledDir: string,
  problems: string[]
): { path: string; fileName: string; content: Uint8Array } {
  const scriptPath = raw === '' ? path.join(bundledDir, BUNDLED_SCRIPT_NAME) : path.resolve(workspace, raw)
  const result = { path: scriptPath, fileName: path.basename(scriptPath), content: new Uint8Array() }
  const fix =
    raw === ''
      ? 'The action bundle is incomplete; check out the whole action repository, or set \'script\'.'
      : `Give a path relative to the workspace, or leave 'script' empty to use the bundled ${BUNDLED_SCRIPT_NAME}.`

  let size: number
  try {
    const stat = statSync(scriptPath)
    if (!stat.isFile()) {
      problems.push(`Input 'script' must name a file, but '${scriptPath}' is not a regular file. ${fix}`)
      return result
    }
    size = stat.size
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const what = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(error)})`
    problems.push(`Input 'script': the file '${scriptPath}' ${what}. ${fix}`)
    return result
  }

  if (size === 0 || size > MAX_SCRIPT_BYTES) {
    problems.push(
      `Input 'script': the file '${scriptPath}' has ${size} bytes; an analysis script must have 1 to ` +
        `${MAX_SCRIPT_BYTES} bytes.`
    )
    return result
  }

  result.content = new Uint8Array(readFileSync(scriptPath))
  return result
}
