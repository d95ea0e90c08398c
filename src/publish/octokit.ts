import * as core from '@actions/core'
import { getOctokit } from '@actions/github'
import type { Octokit } from '@octokit/core'
import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'

/** The Octokit instance the publish step uses (REST methods, paginate, retry, throttling). */
export type GitHubClient = ReturnType<typeof getOctokit>

/** Log sink for the publish step's retries, waits and results. */
export interface PublishLog {
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
}

export const actionsLog: PublishLog = {
  info: (message) => core.info(message),
  warning: (message) => core.warning(message),
  debug: (message) => core.debug(message)
}

export interface GitHubClientOptions {
  token: string
  /** API base URL. Default: GITHUB_API_URL (set on GitHub Enterprise Server), else https://api.github.com. */
  baseUrl?: string
  /**
   * Wait out rate limits and space writes 1 s apart (plugin-throttling). Default true. The
   * cancellation path turns it off, because three spaced writes would not fit the runner's
   * grace period after SIGINT.
   */
  throttle?: boolean
  /** Resends of a request that failed with 5xx or a network error (plugin-retry). Default 3. */
  retries?: number
  /** How many times one request may wait out a primary or secondary rate limit. Default 2. */
  rateLimitRetries?: number
  /** A rate limit that would need a longer wait than this, in seconds, fails the request. Default 120. */
  maxRateLimitWaitSeconds?: number
  /** Timeout of one HTTP request in milliseconds. Default 30000. */
  requestTimeoutMs?: number
  /**
   * Milliseconds per second of a retry or rate-limit wait. Default 1000; tests shrink it so a
   * 60 s reset takes 60 ms.
   */
  millisecondsPerSecond?: number
  log?: PublishLog
}

/**
 * Statuses plugin-retry leaves alone: its defaults, plus 409 (an empty repository or a moved
 * ref, which resending the same request cannot fix) and 429 (plugin-throttling waits for its
 * retry-after instead).
 */
const DO_NOT_RETRY = [400, 401, 403, 404, 409, 410, 422, 429, 451]

/**
 * Creates the Octokit client for committing, through `@actions/github` so a proxy configured
 * on the runner is used. Registers the token as a secret first, so it never shows in the log.
 */
export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  if (options.token.trim() === '') {
    throw new Error(
      "Input 'github-token' is empty. Leave it unset to use the workflow's token (`${{ github.token }}`), " +
        'or pass a token with contents: write on the target repository.'
    )
  }
  core.setSecret(options.token)

  const log = options.log ?? actionsLog
  const baseUrl = options.baseUrl ?? (process.env['GITHUB_API_URL'] || 'https://api.github.com')
  const throttle = options.throttle ?? true
  const rateLimitRetries = options.rateLimitRetries ?? 2
  const maxWaitSeconds = options.maxRateLimitWaitSeconds ?? 120
  const perSecond = options.millisecondsPerSecond ?? 1000

  const onLimit =
    (kind: string) =>
    (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number): boolean => {
      const call = `${request.method} ${request.url}`
      if (retryCount >= rateLimitRetries) {
        log.warning(`GitHub ${kind} rate limit on ${call}: giving up after ${retryCount} waits.`)
        return false
      }
      if (retryAfter > maxWaitSeconds) {
        log.warning(`GitHub ${kind} rate limit on ${call}: reset in ${retryAfter} s exceeds the ${maxWaitSeconds} s bound, not waiting.`)
        return false
      }
      log.info(`GitHub ${kind} rate limit on ${call}: waiting ${retryAfter} s (wait ${retryCount + 1} of ${rateLimitRetries}).`)
      return true
    }

  return getOctokit(
    options.token,
    {
      baseUrl,
      log: {
        debug: (message: string) => log.debug(message),
        info: (message: string) => log.debug(message),
        warn: (message: string) => log.warning(message),
        error: (message: string) => log.debug(message)
      },
      retry: { retries: options.retries ?? 3, doNotRetry: DO_NOT_RETRY, retryAfterBaseValue: perSecond },
      throttle: throttle
        ? {
            retryAfterBaseValue: perSecond,
            onRateLimit: onLimit('primary'),
            onSecondaryRateLimit: onLimit('secondary')
          }
        : { enabled: false }
    },
    requestTimeout(options.requestTimeoutMs ?? 30_000),
    retry,
    throttling
  )
}

/** Builds the error for a request the caller's signal aborted: name `AbortError`, no status. */
function cancelledError(reason: unknown): Error {
  const error = new Error(`The request was cancelled: ${reason instanceof Error ? reason.message : String(reason)}`, {
    cause: reason
  })
  error.name = 'AbortError'
  return error
}

/** Key under which the timeout plugin keeps the caller's own signal on `options.request`. */
const CALLER_SIGNAL = Symbol('callerSignal')

/**
 * Plugin that gives every HTTP request its own timeout, combined with the caller's signal.
 * It is registered first, so it sits innermost and runs again for each resend of the retry
 * and throttling plugins: every resend gets a fresh timeout, and their waits do not count.
 * Hook wrappers receive the options object that inner hooks see, so the signal is set on it
 * in place (options passed to `request()` would be ignored).
 */
function requestTimeout(timeoutMs: number) {
  return (octokit: Octokit): void => {
    octokit.hook.wrap('request', (request, options) => {
      const requestOptions = (options.request ?? {}) as Record<string | symbol, unknown>
      if (!(CALLER_SIGNAL in requestOptions)) requestOptions[CALLER_SIGNAL] = requestOptions['signal']
      const callerSignal = requestOptions[CALLER_SIGNAL] as AbortSignal | undefined

      const timeout = AbortSignal.timeout(timeoutMs)
      requestOptions['signal'] = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout
      options.request = requestOptions
      return Promise.resolve(request(options)).catch((error: unknown) => {
        // Octokit reports an aborted fetch as an HttpError with status 500, which plugin-retry
        // resends. An error that is not an HttpError makes both plugins give up at once.
        if (callerSignal?.aborted) throw cancelledError(callerSignal.reason)
        throw error
      })
    })
  }
}
