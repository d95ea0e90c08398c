import { type Clock, systemClock } from '../clock.js'
import type { ChangeSet } from './changeset.js'
import {
  type ApiFailure,
  CommitError,
  describeFailure,
  failureText,
  isEmptyRepository,
  isProtectedBranch,
  isRateLimit,
  isRefConflict,
  isTransient,
  isUnreachable
} from './commit-errors.js'
import { actionsLog, type GitHubClient, type PublishLog } from './octokit.js'

export interface CommitOptions {
  octokit: GitHubClient
  owner: string
  repo: string
  branch: string
  /** Commit message; the run marker trailer is appended to it. */
  message: string
  /**
   * Identifies this run, e.g. `<GITHUB_RUN_ID>/<GITHUB_RUN_ATTEMPT>`. Written as a `Run:`
   * trailer so a later attempt can tell whether an earlier ref update landed.
   */
  runMarker: string
  changeSets: ChangeSet[]
  /** Attempts before giving up when the branch keeps moving or GitHub keeps failing. Default 5. */
  maxAttempts?: number
  /** How many commits below the head are searched for the run marker. Default 20. */
  markerDepth?: number
  clock?: Clock
  signal?: AbortSignal
  log?: PublishLog
  /** Source of backoff jitter in [0, 1). Default Math.random. */
  random?: () => number
}

export interface CommitResult {
  sha: string
  /** GitHub's signature verification of the commit (true for bot tokens without a custom author). */
  verified: boolean
  reason: string
  attempts: number
  /** The commit's web page. */
  url: string
  /** True when an earlier attempt's ref update had landed although its reply was lost. */
  foundByMarker: boolean
  /** Path → content this commit wrote; empty when the commit was found by its marker. */
  files: ReadonlyMap<string, string>
}

export interface NoChangeResult {
  noChange: true
  attempts: number
}

export type CommitOutcome = CommitResult | NoChangeResult

/** Path → content at the head commit; null when the file does not exist there. */
type Contents = Map<string, string | null>

interface Head {
  sha: string
  tree: string
  /** The head and the commits below it, newest first, for the run marker check. */
  recent: { sha: string; message: string; url: string; verified: boolean; reason: string }[]
}

const BACKOFF_BASE_MS = 250
const BACKOFF_MAX_MS = 30_000

/**
 * Commits the change sets to `branch` as one commit on top of the current head, without a
 * checkout. When the branch moves between reading and the ref update, the change sets are
 * built again from the new head, so a concurrent writer's lines stay and history stays
 * linear (within `maxAttempts`). The ref update is sent with `force: false`.
 *
 * Throws CommitError for every failure that another attempt would not fix.
 */
export async function commitChangeSets(options: CommitOptions): Promise<CommitOutcome> {
  const maxAttempts = options.maxAttempts ?? 5
  const clock = options.clock ?? systemClock
  const log = options.log ?? actionsLog
  const random = options.random ?? Math.random
  const marker = runTrailer(options.runMarker)
  const where = `branch '${options.branch}' of ${options.owner}/${options.repo}`

  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new Error(`maxAttempts must be a positive integer, got ${maxAttempts}.`)
  }

  let lastFailure: ApiFailure | undefined
  let lastAttemptMs = 0
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    if (attempt > 1) {
      const delay = backoffMs(attempt - 1, lastAttemptMs, random)
      log.info(`Commit attempt ${attempt} of ${maxAttempts} in ${delay} ms: ${failureText(lastFailure!)}.`)
      await sleepOrCancel(clock, delay, options.signal, where)
    }

    const attemptStarted = clock.now()
    try {
      const outcome = await attemptCommit(options, marker, attempt)
      if ('noChange' in outcome || outcome.foundByMarker) return outcome
      log.info(`Committed ${outcome.sha} to ${where} (attempt ${attempt}, verified: ${outcome.verified}).`)
      return outcome
    } catch (error) {
      if (error instanceof CommitError) throw error
      const failure = describeFailure(error)
      if (failure.aborted || options.signal?.aborted) throw cancelled(where, error)
      if (!isRefConflict(failure) && !isTransient(failure)) throw await explain(options, failure, error)
      lastFailure = failure
      lastAttemptMs = clock.now() - attemptStarted
    }
  }

  throw new CommitError(
    'gave-up',
    `Could not commit to ${where} in ${maxAttempts} attempts; the last one failed with ${failureText(lastFailure!)}. ` +
      'Another writer may be committing to this branch continuously, or GitHub is failing: run the workflow again, ' +
      'and serialize runs with a `concurrency` group.',
    { status: lastFailure!.status, attempts: maxAttempts }
  )
}

async function attemptCommit(options: CommitOptions, marker: string, attempt: number): Promise<CommitOutcome> {
  const { octokit, owner, repo, branch, signal } = options
  const request = { signal }

  const head = await readHead(options)
  const landed = head.recent.find((commit) => hasTrailer(commit.message, marker))
  if (landed) {
    ;(options.log ?? actionsLog).info(
      `Commit ${landed.sha} of this run is already on branch '${branch}'; an earlier reply was lost. Not committing again.`
    )
    return {
      sha: landed.sha,
      verified: landed.verified,
      reason: landed.reason,
      attempts: attempt,
      url: landed.url,
      foundByMarker: true,
      files: new Map()
    }
  }

  const paths = [...new Set(options.changeSets.flatMap((changeSet) => changeSet.paths))]
  const current = await readFiles(options, head.sha, paths)
  const changes = buildChanges(options.changeSets, current)
  if (changes.size === 0) return { noChange: true, attempts: attempt }

  const tree = await octokit.rest.git.createTree({
    owner,
    repo,
    base_tree: head.tree,
    tree: [...changes].map(([path, content]) => ({ path, mode: '100644' as const, type: 'blob' as const, content })),
    request
  })

  // No author or committer: GitHub then signs the commit for a bot token and shows it as verified.
  const commit = await octokit.rest.git.createCommit({
    owner,
    repo,
    message: `${options.message.trimEnd()}\n\n${marker}`,
    tree: tree.data.sha,
    parents: [head.sha],
    request
  })

  // retries: 0 because plugin-retry would resend this exact PATCH after a 5xx or a lost reply;
  // the next attempt re-reads the branch instead.
  await octokit.rest.git.updateRef({
    owner,
    repo,
    ref: `heads/${branch}`,
    sha: commit.data.sha,
    force: false,
    request: { ...request, retries: 0 }
  })

  return {
    sha: commit.data.sha,
    verified: commit.data.verification?.verified ?? false,
    reason: commit.data.verification?.reason ?? 'unknown',
    attempts: attempt,
    url: commit.data.html_url,
    foundByMarker: false,
    files: changes
  }
}

async function readHead(options: CommitOptions): Promise<Head> {
  const { octokit, owner, repo, branch, signal } = options
  const ref = await octokit.rest.git.getRef({ owner, repo, ref: `heads/${branch}`, request: { signal } })
  const sha = ref.data.object.sha

  // One list call returns the head's tree and the recent messages for the marker check. It
  // reads at the sha, so every read of this attempt uses the same snapshot.
  const listed = await octokit.rest.repos.listCommits({
    owner,
    repo,
    sha,
    per_page: options.markerDepth ?? 20,
    request: { signal }
  })
  const first = listed.data[0]
  if (!first || first.sha !== sha) {
    throw new CommitError('invalid-request', `GitHub listed no commit ${sha} at the head of branch '${branch}'.`)
  }

  return {
    sha,
    tree: first.commit.tree.sha,
    recent: listed.data.map((item) => ({
      sha: item.sha,
      message: item.commit.message,
      url: item.html_url,
      verified: item.commit.verification?.verified ?? false,
      reason: item.commit.verification?.reason ?? 'unknown'
    }))
  }
}

/** Reads each path at `sha` through the contents API, and through the blobs API above its 1 MiB limit. */
async function readFiles(options: CommitOptions, sha: string, paths: string[]): Promise<Contents> {
  const { octokit, owner, repo, signal } = options

  const read = async (path: string): Promise<[string, string | null]> => {
    let data
    try {
      data = (await octokit.rest.repos.getContent({ owner, repo, path, ref: sha, request: { signal } })).data
    } catch (error) {
      if (describeFailure(error).status === 404) return [path, null]
      throw error
    }
    if (Array.isArray(data) || data.type !== 'file') {
      throw new CommitError(
        'invalid-request',
        `'${path}' in ${owner}/${repo} is a ${Array.isArray(data) ? 'directory' : data.type}, not a file; ` +
          'move it away or choose another log directory.'
      )
    }
    if (data.encoding === 'base64' && (data.content !== '' || data.size === 0)) {
      return [path, Buffer.from(data.content, 'base64').toString('utf8')]
    }
    const blob = await octokit.rest.git.getBlob({ owner, repo, file_sha: data.sha, request: { signal } })
    return [path, Buffer.from(blob.data.content, blob.data.encoding === 'base64' ? 'base64' : 'utf8').toString('utf8')]
  }

  return new Map(await Promise.all(paths.map(read)))
}

/**
 * Applies the change sets in order, so a later one builds on the earlier ones' output for
 * shared paths. Returns only the files whose content differs from the head.
 */
export function buildChanges(changeSets: ChangeSet[], current: ReadonlyMap<string, string | null>): Map<string, string> {
  const working = new Map(current)
  for (const changeSet of changeSets) {
    const view = new Map(changeSet.paths.map((path) => [path, working.get(path) ?? null] as const))
    for (const [path, content] of changeSet.build(view)) working.set(path, content)
  }

  const changes = new Map<string, string>()
  for (const [path, content] of working) {
    if (content !== null && content !== (current.get(path) ?? null)) changes.set(path, content)
  }
  return changes
}

/** Formats the trailer that marks this run's commit. */
export function runTrailer(runMarker: string): string {
  const trimmed = runMarker.trim()
  if (trimmed === '' || /[\r\n]/.test(trimmed)) {
    throw new Error(`Run marker '${runMarker}' is invalid: use one non-empty line such as '<run id>/<run attempt>'.`)
  }
  return `Run: ${trimmed}`
}

/** True when one line of the message is exactly the trailer (compared as text, never as a pattern). */
export function hasTrailer(message: string, trailer: string): boolean {
  return message.split('\n').some((line) => line.trim() === trailer)
}

/**
 * Computes the wait before retry `retry` (1 = the second attempt): a random time below
 * min(30 s, unit · 2^(retry-1)), where unit is the failed attempt's duration but at least 250 ms.
 * Scaling with the attempt's duration spreads writers that raced each other over several
 * attempt lengths, because with a fixed short base they would retry together and collide again.
 */
export function backoffMs(retry: number, lastAttemptMs: number, random: () => number): number {
  const unit = Math.max(BACKOFF_BASE_MS, lastAttemptMs)
  const ceiling = Math.min(BACKOFF_MAX_MS, unit * 2 ** (retry - 1))
  return Math.round(ceiling * random())
}

async function sleepOrCancel(clock: Clock, ms: number, signal: AbortSignal | undefined, where: string): Promise<void> {
  try {
    await clock.sleep(ms, signal)
  } catch (error) {
    throw cancelled(where, error)
  }
}

function cancelled(where: string, cause: unknown): CommitError {
  return new CommitError('cancelled', `Commit to ${where} was cancelled before it completed.`, { cause })
}

/** Turns a non-retryable failure into a CommitError that names the cause and the fix. */
async function explain(options: CommitOptions, failure: ApiFailure, cause: unknown): Promise<CommitError> {
  const { owner, repo, branch } = options
  const repository = `${owner}/${repo}`
  const said = failureText(failure)
  const details = { status: failure.status, cause }

  if (isUnreachable(failure)) {
    return new CommitError(
      'unreachable',
      `The GitHub API could not be reached (${said}, ${failure.networkCode}). It is taken from GITHUB_API_URL, ` +
        'which the runner sets (on GitHub Enterprise Server it points at your instance): check that variable and ' +
        "the runner's network, or set the input 'commit' to false to skip the commit.",
      details
    )
  }

  if (failure.status === 401) {
    return new CommitError(
      'bad-credentials',
      `GitHub rejected the token (${said}). Check the input 'github-token': leave it unset to use the ` +
        "workflow's token, or pass a token that is valid and not expired.",
      details
    )
  }

  if (isRateLimit(failure)) {
    return new CommitError(
      'rate-limited',
      `GitHub rate limit reached on ${repository} (${said}) and it did not reset within the wait bound. ` +
        'Run the workflow again later, or schedule it less often.',
      details
    )
  }

  if (failure.status === 403) {
    return new CommitError(
      'permission',
      `The token may not write to ${repository} (${said}). Give the workflow write access to contents:\n\n` +
        'permissions:\n  contents: write\n\n' +
        "For a token from another repository or a PAT, grant it 'Contents: Read and write' on this repository.",
      details
    )
  }

  if (isProtectedBranch(failure)) {
    return new CommitError(
      'protected-branch',
      `Branch '${branch}' of ${repository} rejected the commit: ${said}. Branch protection or a ruleset requires ` +
        "changes through a pull request. Set the input 'branch' to a data branch without protection " +
        "(e.g. 'status-data'), or let github-actions[bot] bypass the rule.",
      details
    )
  }

  if (isEmptyRepository(failure)) {
    return new CommitError(
      'empty-repository',
      `Repository ${repository} is empty (${said}). Push a first commit to branch '${branch}' ` +
        '(for example the workflow file), then run again.',
      details
    )
  }

  if (failure.status === 404) return explainNotFound(options, said, details)

  return new CommitError(
    'invalid-request',
    `GitHub rejected a request while committing to branch '${branch}' of ${repository}: ${said}.`,
    details
  )
}

/** Distinguishes a missing branch from a repository the token cannot read, since both return 404. */
async function explainNotFound(
  options: CommitOptions,
  said: string,
  details: { status?: number; cause?: unknown }
): Promise<CommitError> {
  const { octokit, owner, repo, branch, signal } = options
  const repository = `${owner}/${repo}`

  let repositoryVisible = false
  try {
    await octokit.rest.repos.get({ owner, repo, request: { signal, retries: 0 } })
    repositoryVisible = true
  } catch {
    repositoryVisible = false
  }

  if (!repositoryVisible) {
    return new CommitError(
      'repository-not-found',
      `Repository ${repository} was not found, or the token cannot read it (${said}). Check the input ` +
        "'repository' (owner/name), and that the token has access to it.",
      details
    )
  }
  return new CommitError(
    'branch-not-found',
    `Branch '${branch}' was not found in ${repository} (${said}). Create the branch, or set the input 'branch' ` +
      'to an existing one.',
    details
  )
}
