// Access tokens from Authup: password grant, renewal before expiry through the refresh grant
// (falling back to the password grant), and one renewal when core or storage rejects a token.

import { HubError } from './errors.js'
import { joinUrl, type HubRequest, type HubResponse, type Transport } from './http.js'

export interface Credentials {
  authUrl: string
  username: string
  password: string
  /** Realm id (UUID) or realm name; Authup uses the realm named `master` when it is absent. */
  realm?: string
}

interface AccessToken {
  value: string
  /** Client clock time at which the token expires, measured from just before the request. */
  expiresAt: number
  lifetimeMs: number
}

interface RefreshToken {
  value: string
  expiresAt: number | undefined
}

/** Renew once fewer than this many milliseconds remain (capped at a quarter of a short token's lifetime). */
const RENEW_MARGIN_MS = 60_000

/** Lifetime assumed when Authup omits `expires_in`: the default of Authup 1.0.0-beta.52 and later. */
const DEFAULT_LIFETIME_S = 900

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export class TokenSession {
  private accessToken: AccessToken | undefined
  private refreshToken: RefreshToken | undefined
  private pending: Promise<void> | undefined

  constructor(
    private readonly transport: Transport,
    private readonly credentials: Credentials
  ) {
    transport.redactor.add(credentials.password)
  }

  /** Runs the password grant now, whatever the state of the current token. */
  async login(signal?: AbortSignal): Promise<void> {
    await this.shared(() => this.passwordGrant(), signal)
  }

  /** Returns a token with at least the renewal margin left, renewing it first when needed. */
  async token(signal?: AbortSignal): Promise<string> {
    const current = this.accessToken
    if (current !== undefined && !this.needsRenewal(current)) {
      return current.value
    }

    // One renewal per call: a token that is short-lived from the start is still the best there is.
    await this.shared(() => this.renew(), signal)
    if (this.accessToken === undefined) {
      throw new HubError('auth', `No access token from the auth service at ${this.credentials.authUrl} after a renewal`)
    }
    return this.accessToken.value
  }

  /**
   * Send a request with a bearer token. When the service rejects the token, renew it once and
   * resend; a second rejection becomes a HubError of kind `auth`.
   */
  async send(request: HubRequest): Promise<HubResponse> {
    const token = await this.token(request.signal)
    try {
      return await this.transport.send(withBearer(request, token))
    } catch (error) {
      if (!isTokenRejection(error)) {
        throw error
      }
      this.transport.log('info', `${this.transport.describe(request)} rejected the access token (${error.message}); renewing it and retrying once`)
      this.invalidate(token)
    }

    this.transport.stats.retries += 1
    const renewed = await this.token(request.signal)
    try {
      return await this.transport.send(withBearer(request, renewed))
    } catch (error) {
      if (!isTokenRejection(error)) {
        throw error
      }
      throw new HubError('auth', `${this.transport.describe(request)} rejected a freshly renewed access token: ${error.message}`, {
        ...error.details,
        cause: error
      })
    }
  }

  /** Marks `token` as unusable, unless a newer token has already replaced it. */
  private invalidate(token: string): void {
    if (this.accessToken?.value === token) {
      this.accessToken = { ...this.accessToken, expiresAt: 0 }
    }
  }

  private needsRenewal(token: AccessToken): boolean {
    // Without the cap, a token shorter than the margin (a time-scaled simulator issues such) would be renewed on every call.
    const margin = Math.min(RENEW_MARGIN_MS, token.lifetimeMs / 4)
    return token.expiresAt - this.transport.options.clock.now() < margin
  }

  /**
   * Runs `work` unless a renewal is already in flight, in which case the caller waits for that
   * one. The shared work ignores callers' signals, so one cancelled caller cannot fail the rest.
   */
  private async shared(work: () => Promise<void>, signal: AbortSignal | undefined): Promise<void> {
    if (this.pending === undefined) {
      const running = work().finally(() => {
        if (this.pending === running) {
          this.pending = undefined
        }
      })
      this.pending = running
    }
    await waitOrAbort(this.pending, signal)
  }

  private async renew(): Promise<void> {
    const refresh = this.refreshToken
    const now = this.transport.options.clock.now()
    const refreshUsable = refresh !== undefined && (refresh.expiresAt === undefined || refresh.expiresAt - now > RENEW_MARGIN_MS)

    if (refreshUsable) {
      // Authup rotates refresh tokens and treats a second use as replay, so each is sent once.
      this.refreshToken = undefined
      try {
        await this.grant({ grant_type: 'refresh_token', refresh_token: refresh.value }, 'refresh')
        return
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error)
        this.transport.log('info', `Refresh grant failed (${message}); falling back to the password grant`)
      }
    }

    await this.passwordGrant()
  }

  private async passwordGrant(): Promise<void> {
    const body: Record<string, string> = {
      grant_type: 'password',
      username: this.credentials.username,
      password: this.credentials.password
    }
    const realm = this.credentials.realm
    if (realm !== undefined && realm !== '') {
      body[UUID_PATTERN.test(realm) ? 'realm_id' : 'realm_name'] = realm
    }
    await this.grant(body, 'password')
  }

  private async grant(body: Record<string, string>, grant: 'password' | 'refresh'): Promise<void> {
    const request: HubRequest = {
      operation: grant === 'password' ? 'passwordGrant' : 'refreshGrant',
      method: 'POST',
      url: joinUrl(this.credentials.authUrl, 'token'),
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      // A password grant has no side effect worth protecting, but a refresh token may be spent.
      retryClass: grant === 'password' ? 'idempotent' : 'once',
      retryThrottled: false
    }

    // Expiry counts from before the request, so network time only makes it earlier.
    const sentAt = this.transport.options.clock.now()
    let payload: unknown
    try {
      payload = await this.transport.readJson(await this.transport.send(request))
    } catch (error) {
      throw this.loginError(error)
    }
    this.store(payload, sentAt)
    this.transport.log('debug', `Obtained an access token by ${grant} grant, valid for ${Math.round((this.accessToken?.lifetimeMs ?? 0) / 1000)} s`)
  }

  private store(payload: unknown, sentAt: number): void {
    const record = payload !== null && typeof payload === 'object' ? (payload as Record<string, unknown>) : {}
    const accessToken = record.access_token
    if (typeof accessToken !== 'string' || accessToken === '') {
      throw new HubError('protocol', `The auth service at ${this.credentials.authUrl} returned a token response without an access_token`)
    }
    this.transport.redactor.add(accessToken)

    const expiresIn = typeof record.expires_in === 'number' && record.expires_in > 0 ? record.expires_in : DEFAULT_LIFETIME_S
    this.accessToken = { value: accessToken, expiresAt: sentAt + expiresIn * 1000, lifetimeMs: expiresIn * 1000 }

    const refreshToken = record.refresh_token
    if (typeof refreshToken === 'string' && refreshToken !== '') {
      this.transport.redactor.add(refreshToken)
      const refreshExpiresIn = record.refresh_token_expires_in
      this.refreshToken = {
        value: refreshToken,
        expiresAt: typeof refreshExpiresIn === 'number' ? sentAt + refreshExpiresIn * 1000 : undefined
      }
    }
  }

  /** Maps a failed token request to an error that names the cause and the fix. */
  private loginError(error: unknown): unknown {
    if (!(error instanceof HubError)) {
      return error
    }
    const authUrl = this.credentials.authUrl
    const user = this.credentials.username
    const details = { ...error.details, cause: error }

    if (error.kind === 'network' || error.kind === 'timeout') {
      return new HubError(error.kind, `Login failed: auth service unreachable at ${authUrl} (${error.message}); check the auth URL and the network`, details)
    }
    if (error.kind !== 'http') {
      return error
    }

    if (error.status === 400 && error.code === 'invalid_credentials') {
      return new HubError('auth', `Login failed: bad credentials for user "${user}" at ${authUrl}; check the username and password`, details)
    }
    if (error.status === 429) {
      const wait = error.details.retryAfterMs === undefined ? '' : ` (retry after ${Math.ceil(error.details.retryAfterMs / 1000)} s)`
      return new HubError('auth', `Login failed: the auth service at ${authUrl} throttled login attempts for user "${user}"${wait}`, details)
    }
    if (error.status !== undefined && error.status < 500) {
      return new HubError('auth', `Login failed for user "${user}" at ${authUrl}: ${error.message}`, details)
    }
    return new HubError('http', `Login failed: the auth service at ${authUrl} returned an error (${error.message})`, details)
  }
}

function withBearer(request: HubRequest, token: string): HubRequest {
  return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } }
}

/** Detects a rejected bearer token: a 401, or a 400/500 whose message blames the JWT or token, because Hub versions map it differently. */
export function isTokenRejection(error: unknown): error is HubError {
  if (!(error instanceof HubError) || error.kind !== 'http') {
    return false
  }
  if (error.status === 401) {
    return true
  }
  return (error.status === 400 || error.status === 500) && /jwt|token/i.test(error.message)
}

async function waitOrAbort(work: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) {
    return work
  }
  if (signal.aborted) {
    throw new HubError('aborted', 'Login was cancelled', { cause: signal.reason })
  }
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(new HubError('aborted', 'Login was cancelled', { cause: signal.reason }))
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    await Promise.race([work, aborted])
  } finally {
    if (onAbort !== undefined) {
      signal.removeEventListener('abort', onAbort)
    }
  }
}
