// Shared request layer for the three Hub services: URL joining, timeouts, pacing, the retry
// policy, error decoding and secret redaction. Eras and entities live in wire.ts and entities.ts.

import type { Clock } from '../clock.js'
import { HubError, type HubErrorKind } from './errors.js'

export interface HubLogger {
  debug(message: string): void
  info(message: string): void
  warning(message: string): void
}

export const silentLogger: HubLogger = {
  debug: () => undefined,
  info: () => undefined,
  warning: () => undefined
}

export interface RetryPolicy {
  /** Total attempts per request, the first one included. */
  attempts: number
  baseDelayMs: number
  maxDelayMs: number
  /** Upper bound for a server's Retry-After, so a hostile or confused header cannot stall a round. */
  maxRetryAfterMs: number
}

export const defaultRetryPolicy: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 8000,
  maxRetryAfterMs: 30_000
}

export interface TransportOptions {
  clock: Clock
  requestTimeoutMs: number
  maxConcurrent: number
  maxRequestsPerMinute: number
  retry: RetryPolicy
  log: HubLogger
  /** Source of jitter in [0, 1); tests pass a constant to get exact delays. */
  random: () => number
}

export interface TransportStats {
  /** HTTP attempts sent, retries included. */
  requests: number
  /** Attempts beyond the first of each call (5xx, 429, network, transient 404, renewed token). */
  retries: number
  /** Attempts per operation name, for example `getAnalysis`. */
  byKind: Record<string, number>
}

export type RetryClass =
  /** GET and DELETE: safe to repeat after network errors, timeouts, 5xx and 429. */
  | 'idempotent'
  /** POST: repeated only when it provably did not reach a handler (connection refused, 429). */
  | 'write'
  /** Sent exactly once, for example a refresh grant whose token the server may already have spent. */
  | 'once'

export interface HubRequest {
  /** Name counted in `stats.byKind` and shown in logs, for example `listNodes`. */
  operation: string
  method: 'GET' | 'POST' | 'DELETE'
  url: URL
  headers?: Record<string, string>
  body?: string | FormData
  retryClass: RetryClass
  /** Extra attempts after a 404, spaced `notFoundGapMs` apart (for the Hub's transient 404s). */
  notFoundRetries?: number
  notFoundGapMs?: number
  /** Whether a 429 is retried after its Retry-After; false for logins, where waiting prolongs the throttle. */
  retryThrottled?: boolean
  signal?: AbortSignal
  /** Overrides the per-request timeout; downloads pass the time left until their deadline. */
  timeoutMs?: number
  /** Leaves a 2xx body unread for the caller to stream; otherwise it is read inside the attempt, so a broken body is retried. */
  stream?: boolean
}

/** A successful (2xx) response; its body is in `text`, or still unread when the request streams. */
export interface HubResponse {
  response: Response
  text?: string
  /** Aborts when the caller's signal or the request timeout fires; the body read must honour it. */
  signal: AbortSignal
  /** Releases the concurrency slot if the attempt still holds it; a second call does nothing. */
  release(): void
  request: HubRequest
}

/**
 * Join a relative path onto a base URL without losing the base's path prefix, so
 * `http://host/core` + `analyses/1` gives `http://host/core/analyses/1`.
 */
export function joinUrl(base: string, path: string): URL {
  let parsedBase: URL
  try {
    parsedBase = new URL(base)
  } catch {
    throw new Error(`Invalid Hub base URL "${base}": expected an absolute http(s) URL such as http://127.0.0.1:3000/core/`)
  }
  if (parsedBase.protocol !== 'http:' && parsedBase.protocol !== 'https:') {
    throw new Error(`Invalid Hub base URL "${base}": the protocol must be http or https`)
  }

  // A base without a trailing slash would make URL resolution replace its last segment.
  if (!parsedBase.pathname.endsWith('/')) {
    parsedBase.pathname = `${parsedBase.pathname}/`
  }
  parsedBase.search = ''
  parsedBase.hash = ''

  const relative = path.replace(/^\/+/, '')
  return new URL(relative, parsedBase)
}

/** Replaces registered secrets (password, tokens) with `***` in any text that leaves the client. */
export class SecretRedactor {
  private readonly secrets = new Set<string>()

  add(secret: string | undefined): void {
    // Very short strings would blank out ordinary words, and no real credential is that short.
    if (secret !== undefined && secret.length >= 4) {
      this.secrets.add(secret)
    }
  }

  redact(text: string): string {
    let result = text
    for (const secret of this.secrets) {
      result = result.split(secret).join('***')
    }
    return result
  }
}

/** Counting semaphore that caps the requests in flight. */
class Semaphore {
  private active = 0
  private readonly waiters: Array<() => void> = []

  constructor(private readonly limit: number) {}

  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.active < this.limit) {
      this.active += 1
      return this.releaser()
    }

    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.waiters.indexOf(grant)
        if (index >= 0) {
          this.waiters.splice(index, 1)
        }
        reject(signal?.reason)
      }
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      if (signal?.aborted) {
        onAbort()
        return
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiters.push(grant)
    })
    return this.releaser()
  }

  private releaser(): () => void {
    let released = false
    return () => {
      if (released) {
        return
      }
      released = true
      const next = this.waiters.shift()
      if (next === undefined) {
        this.active -= 1
      } else {
        // The slot passes straight to the next waiter, so `active` stays the same.
        next()
      }
    }
  }
}

/**
 * Token bucket on the injected clock. The bucket contains one second's worth of requests, so a
 * burst cannot exceed the per-minute rate by more than that.
 */
class TokenBucket {
  private tokens: number
  private updatedAt: number
  private readonly capacity: number
  private readonly perMs: number

  constructor(
    private readonly clock: Clock,
    requestsPerMinute: number
  ) {
    this.perMs = requestsPerMinute / 60_000
    this.capacity = Math.max(1, Math.floor(requestsPerMinute / 60))
    this.tokens = this.capacity
    this.updatedAt = clock.now()
  }

  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.clock.now()
      this.tokens = Math.min(this.capacity, this.tokens + (now - this.updatedAt) * this.perMs)
      this.updatedAt = now
      if (this.tokens >= 1) {
        this.tokens -= 1
        return
      }
      const waitMs = Math.ceil((1 - this.tokens) / this.perMs)
      await this.clock.sleep(waitMs, signal)
    }
  }
}

interface AttemptFailure {
  error: HubError
  /** Whether another attempt is allowed for this failure under the request's retry class. */
  retryable: boolean
  /** Wait the server asked for (Retry-After), before capping. */
  retryAfterMs?: number
}

export class Transport {
  readonly stats: TransportStats = { requests: 0, retries: 0, byKind: {} }
  readonly redactor = new SecretRedactor()
  private readonly slots: Semaphore
  private readonly bucket: TokenBucket

  constructor(readonly options: TransportOptions) {
    this.slots = new Semaphore(options.maxConcurrent)
    this.bucket = new TokenBucket(options.clock, options.maxRequestsPerMinute)
  }

  /**
   * Send a request under the retry policy and return the first 2xx response. Any other
   * outcome becomes a HubError whose details carry the number of attempts made.
   */
  async send(request: HubRequest): Promise<HubResponse> {
    const policy = this.options.retry
    const notFoundRetries = request.notFoundRetries ?? 0
    let failures = 0
    let notFoundFailures = 0

    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) {
        this.stats.retries += 1
      }

      const outcome = await this.attempt(request, attempt)
      if (!('error' in outcome)) {
        return outcome
      }

      const { error } = outcome
      error.details.attempts = attempt
      const isNotFound = error.status === 404 && notFoundFailures < notFoundRetries
      if (isNotFound) {
        notFoundFailures += 1
        const gapMs = request.notFoundGapMs ?? 2000
        this.log('info', `${this.describe(request)} returned 404, retry ${notFoundFailures} of ${notFoundRetries} in ${gapMs} ms`)
        await this.sleep(gapMs, request)
        continue
      }

      failures += 1
      if (!outcome.retryable || failures >= policy.attempts) {
        throw error
      }

      const delayMs = this.backoffMs(failures, outcome.retryAfterMs)
      this.log('info', `${error.message}; retry ${failures} of ${policy.attempts - 1} in ${delayMs} ms`)
      await this.sleep(delayMs, request)
    }
  }

  /** Reads a response body as JSON and releases its slot; a body that is not JSON is a protocol error. */
  async readJson(hubResponse: HubResponse): Promise<unknown> {
    const { response, request } = hubResponse
    try {
      const text = hubResponse.text ?? (await response.text())
      if (text.trim() === '') {
        return null
      }
      try {
        return JSON.parse(text) as unknown
      } catch {
        throw this.error('protocol', `${this.describe(request)} returned a body that is not JSON (HTTP ${response.status})`, request, {
          status: response.status
        })
      }
    } catch (cause) {
      throw this.toHubError(cause, request, hubResponse.signal)
    } finally {
      hubResponse.release()
    }
  }

  /** Runs `decode` on a response body and names the request in any protocol error it raises. */
  decode<T>(request: HubRequest, decode: () => T): T {
    try {
      return decode()
    } catch (cause) {
      if (cause instanceof HubError && cause.kind === 'protocol' && cause.details.path === undefined) {
        throw this.error('protocol', `${this.describe(request)}: ${cause.message}`, request, { cause })
      }
      throw cause
    }
  }

  /** Builds a HubError with redacted text. */
  error(kind: HubErrorKind, message: string, request: HubRequest, details: HubError['details'] = {}): HubError {
    const code = details.code === undefined ? undefined : this.redactor.redact(details.code)
    return new HubError(kind, this.redactor.redact(message), {
      method: request.method,
      path: request.url.pathname,
      ...details,
      code
    })
  }

  /** Turns a thrown fetch or stream failure into a HubError of the right kind. */
  toHubError(cause: unknown, request: HubRequest, signal: AbortSignal | undefined): HubError {
    if (cause instanceof HubError) {
      return cause
    }

    if (request.signal?.aborted) {
      return this.error('aborted', `${this.describe(request)} was cancelled`, request, { cause: request.signal.reason })
    }
    if (signal?.aborted) {
      const timeoutMs = request.timeoutMs ?? this.options.requestTimeoutMs
      return this.error('timeout', `${this.describe(request)} timed out after ${timeoutMs} ms`, request)
    }

    const code = networkErrorCode(cause)
    const text = code ?? (cause instanceof Error ? cause.message : String(cause))
    return this.error('network', `${this.describe(request)} failed: ${text}`, request, { code })
  }

  describe(request: HubRequest): string {
    return `${request.method} ${request.url.pathname}`
  }

  log(level: keyof HubLogger, message: string): void {
    this.options.log[level](this.redactor.redact(message))
  }

  private async attempt(request: HubRequest, attempt: number): Promise<HubResponse | AttemptFailure> {
    await this.bucket.take(request.signal).catch((cause: unknown) => {
      throw this.toHubError(cause, request, undefined)
    })
    const release = await this.slots.acquire(request.signal).catch((cause: unknown) => {
      throw this.toHubError(cause, request, undefined)
    })

    this.stats.requests += 1
    this.stats.byKind[request.operation] = (this.stats.byKind[request.operation] ?? 0) + 1

    const timeoutMs = request.timeoutMs ?? this.options.requestTimeoutMs
    const timeoutSignal = AbortSignal.timeout(Math.max(1, timeoutMs))
    const signal = request.signal === undefined ? timeoutSignal : AbortSignal.any([request.signal, timeoutSignal])
    this.log('debug', `${this.describe(request)} attempt ${attempt} (${request.operation})`)

    let response: Response
    try {
      response = await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal
      })
    } catch (cause) {
      release()
      const error = this.toHubError(cause, request, signal)
      if (error.kind === 'aborted') {
        throw error
      }
      return { error, retryable: this.mayRetryNetwork(request, error) }
    }

    if (response.ok) {
      return this.readSuccess(request, response, signal, release)
    }

    try {
      return await this.httpFailure(request, response, signal)
    } finally {
      release()
    }
  }

  private async readSuccess(request: HubRequest, response: Response, signal: AbortSignal, release: () => void): Promise<HubResponse | AttemptFailure> {
    if (request.stream === true) {
      // A stream frees its slot once the headers arrive, so a stalled download cannot block other calls.
      release()
      return { response, signal, release, request }
    }

    try {
      const text = await response.text()
      return { response, text, signal, release, request }
    } catch (cause) {
      const error = this.toHubError(cause, request, signal)
      if (error.kind === 'aborted') {
        throw error
      }
      // The request took effect, so only an idempotent one may be sent again for its body.
      return { error, retryable: request.retryClass === 'idempotent' }
    } finally {
      release()
    }
  }

  private async httpFailure(request: HubRequest, response: Response, signal: AbortSignal): Promise<AttemptFailure> {
    let body: unknown = null
    try {
      const text = await response.text()
      body = text === '' ? null : (JSON.parse(text) as unknown)
    } catch (cause) {
      // An unreadable error body still leaves the status, which is enough to decide.
      if (signal.aborted) {
        return { error: this.toHubError(cause, request, signal), retryable: request.retryClass === 'idempotent' }
      }
    }

    const { code, message } = errorFields(body)
    const status = response.status
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.options.clock.now())
    const summary = message === undefined ? response.statusText || 'no message' : message
    const codePart = code === undefined ? '' : ` ${code}`
    const error = this.error('http', `${this.describe(request)} failed with HTTP ${status}${codePart}: ${summary}`, request, {
      status,
      code,
      retryAfterMs
    })

    // A 429 comes from the rate limiter before any handler runs, so even a write is safe to repeat.
    const throttled = status === 429 && request.retryClass !== 'once' && request.retryThrottled !== false
    const retryable = throttled || (status >= 500 && request.retryClass === 'idempotent')
    return { error, retryable, retryAfterMs }
  }

  private mayRetryNetwork(request: HubRequest, error: HubError): boolean {
    if (request.retryClass === 'idempotent') {
      return true
    }
    // A refused connection proves the write never reached the server.
    return request.retryClass === 'write' && error.kind === 'network' && error.code === 'ECONNREFUSED'
  }

  /** Jittered exponential backoff, or the server's Retry-After, both capped. */
  private backoffMs(failures: number, retryAfterMs: number | undefined): number {
    const policy = this.options.retry
    if (retryAfterMs !== undefined) {
      return Math.min(Math.max(0, retryAfterMs), policy.maxRetryAfterMs)
    }
    const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failures - 1))
    // Half fixed, half random: spreads parallel pairs apart but keeps a floor.
    return Math.round(ceiling / 2 + (ceiling / 2) * this.options.random())
  }

  private async sleep(ms: number, request: HubRequest): Promise<void> {
    try {
      await this.options.clock.sleep(ms, request.signal)
    } catch (cause) {
      throw this.toHubError(cause, request, undefined)
    }
  }
}

/** Reads `code` and `message` from a Hub error body or an Authup error body. */
export function errorFields(body: unknown): { code?: string; message?: string } {
  if (body === null || typeof body !== 'object') {
    return {}
  }
  const record = body as Record<string, unknown>
  return {
    code: typeof record.code === 'string' ? record.code : undefined,
    message: typeof record.message === 'string' ? record.message : undefined
  }
}

/** Parses Retry-After as delay seconds or an HTTP date; returns milliseconds or undefined. */
export function parseRetryAfter(header: string | null, nowMs: number): number | undefined {
  if (header === null || header.trim() === '') {
    return undefined
  }
  const trimmed = header.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    return Math.round(Number(trimmed) * 1000)
  }
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) {
    return undefined
  }
  return Math.max(0, date - nowMs)
}

/** Finds a system error code (ECONNREFUSED, ECONNRESET, ...) in a fetch failure's cause chain. */
export function networkErrorCode(cause: unknown): string | undefined {
  let current: unknown = cause
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string' && code !== '') {
      return code
    }
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}
