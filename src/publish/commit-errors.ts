/** Cause of a commit through the GitHub API that failed for good. */
export type CommitErrorCode =
  | 'bad-credentials' // 401: the token is invalid or expired
  | 'permission' // 403: the token may not write contents
  | 'rate-limited' // 403/429 rate limit that did not reset within the wait bound
  | 'repository-not-found' // 404 on the repository itself
  | 'branch-not-found' // 404 on the branch ref
  | 'empty-repository' // 409 "Git Repository is empty."
  | 'protected-branch' // branch protection or a ruleset rejected the ref update
  | 'gave-up' // the branch moved, or GitHub failed, on every attempt
  | 'unreachable' // no connection to the API: refused, unknown host, or a port fetch blocks
  | 'cancelled' // the caller's signal aborted
  | 'invalid-request' // GitHub rejected a request the commit loop built (a bug or bad input)

/** A commit failure whose message names the cause and the fix. */
export class CommitError extends Error {
  override readonly name = 'CommitError'

  constructor(
    readonly code: CommitErrorCode,
    message: string,
    readonly details: { status?: number; attempts?: number; cause?: unknown } = {}
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
  }
}

/** The parts of an Octokit RequestError (or a network error) the commit loop decides on. */
export interface ApiFailure {
  /** HTTP status; undefined when no response arrived (network error, timeout, abort). */
  status: number | undefined
  /** GitHub's `message` field, or the error message when there was no response body. */
  message: string
  headers: Record<string, string | undefined>
  /** True when the caller's signal aborted the request. */
  aborted: boolean
  /** System error code of a failed connection (e.g. ECONNREFUSED), found in the error's cause chain. */
  networkCode?: string
}

/** Extracts status, GitHub's message and headers from whatever Octokit threw. */
export function describeFailure(error: unknown): ApiFailure {
  const value = (error ?? {}) as {
    name?: unknown
    status?: unknown
    message?: unknown
    response?: { status?: unknown; data?: unknown; headers?: Record<string, string | undefined> }
  }
  const data = value.response?.data as { message?: unknown } | undefined
  const hasResponse = value.response !== undefined && typeof value.response.status === 'number'
  return {
    status: hasResponse ? (value.response!.status as number) : undefined,
    message:
      typeof data?.message === 'string' ? data.message : typeof value.message === 'string' ? value.message : String(error),
    headers: value.response?.headers ?? {},
    aborted: value.name === 'AbortError',
    networkCode: hasResponse ? undefined : networkCodeOf(error)
  }
}

/** Short text for logs: `422 Update is not a fast forward`, or the network error's message. */
export function failureText(failure: ApiFailure): string {
  const firstLine = failure.message.split('\n')[0]!.trim()
  return failure.status === undefined ? `no response (${firstLine})` : `${failure.status} ${firstLine}`
}

/** Checks whether the ref moved, so the loop should re-read the branch and re-apply the change sets. */
export function isRefConflict(failure: ApiFailure): boolean {
  if (failure.status === 422) return /not a fast.forward|reference update failed/i.test(failure.message)
  return failure.status === 409 && !isEmptyRepository(failure) && !isProtectedBranch(failure)
}

// Connection failures that another attempt seconds later will not cure. A reset or a timeout
// is left transient, because the request may have reached GitHub.
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'BAD_PORT'])

/** Checks whether the API could not be reached at all, so retrying cannot help. */
export function isUnreachable(failure: ApiFailure): boolean {
  return failure.status === undefined && failure.networkCode !== undefined && UNREACHABLE_CODES.has(failure.networkCode)
}

/** No response, a timeout or a 5xx: the outcome is unknown, and a later attempt may succeed. */
export function isTransient(failure: ApiFailure): boolean {
  if (failure.aborted || isUnreachable(failure)) return false
  return failure.status === undefined || failure.status >= 500
}

/** Finds a system error code such as ECONNREFUSED in an error or its causes (fetch wraps it). */
function networkCodeOf(error: unknown): string | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown }
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code
    if (typeof message === 'string' && /\bbad port\b/i.test(message)) return 'BAD_PORT'
    current = cause
  }
  return undefined
}

export function isEmptyRepository(failure: ApiFailure): boolean {
  return failure.status === 409 && /repository is empty/i.test(failure.message)
}

/** Checks for branch protection or a ruleset, which return 422 or 409 with one of these phrases. */
export function isProtectedBranch(failure: ApiFailure): boolean {
  if (failure.status !== 422 && failure.status !== 409) return false
  return /protected branch|rule violation|required status check|must be made through a pull request|cannot (?:force-)?push/i.test(
    failure.message
  )
}

export function isRateLimit(failure: ApiFailure): boolean {
  if (failure.status !== 403 && failure.status !== 429) return false
  return failure.headers['x-ratelimit-remaining'] === '0' || failure.status === 429 || /rate limit/i.test(failure.message)
}
