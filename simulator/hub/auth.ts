// The Authup token endpoint and bearer-token checks. Authup writes its errors flat, as
// {name, message, code, ...}, with no statusCode in the body.

import { randomBytes, randomUUID } from 'node:crypto'

import type { FaultSpec } from './faults.js'
import { ApiError } from './wire.js'
import type { HubWorld, UserEntity } from './world.js'

/** Refresh tokens live 3 days, the Authup default (TOKEN_REFRESH_MAX_AGE). */
const REFRESH_LIFETIME_SECONDS = 259_200

export class AuthupError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string
  ) {
    super(message)
  }

  body(): Record<string, unknown> {
    return { name: 'AuthupError', message: this.message, code: this.code, '@instanceof': ['AuthupError'] }
  }
}

interface AccessToken {
  userId: string
  familyId: string
  expiresAt: number
  /** Revocation time from the token-expiry fault, which may come before `expires_in` runs out. */
  revokedAt: number
}

interface RefreshToken {
  userId: string
  familyId: string
  expiresAt: number
  used: boolean
}

export interface TokenServiceSettings {
  lifetimeSeconds: () => number
  faults: () => FaultSpec
  timeScale: number
}

function base64Url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

/** Parses a token request body: JSON, or application/x-www-form-urlencoded. */
export function parseTokenBody(body: Buffer, contentType: string | undefined): Record<string, string> {
  const text = body.toString('utf8')
  const fields: Record<string, string> = {}
  if ((contentType ?? '').includes('application/json')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(text === '' ? '{}' : text)
    } catch {
      throw new AuthupError(400, 'bad_request', 'The request body is not valid JSON.')
    }
    if (parsed !== null && typeof parsed === 'object') {
      for (const [key, value] of Object.entries(parsed)) {
        if (typeof value === 'string') fields[key] = value
      }
    }
    return fields
  }
  for (const [key, value] of new URLSearchParams(text)) fields[key] = value
  return fields
}

export class TokenService {
  private readonly accessTokens = new Map<string, AccessToken>()
  private readonly refreshTokens = new Map<string, RefreshToken>()
  private readonly revokedFamilies = new Set<string>()

  constructor(
    private readonly world: HubWorld,
    private readonly settings: TokenServiceSettings
  ) {}

  /** Handles `POST /token`. `query` may carry grant_type, as Authup reads it from there too. */
  grant(fields: Record<string, string>, query: URLSearchParams): Record<string, unknown> {
    const grantType = fields.grant_type ?? query.get('grant_type') ?? this.guessGrant(fields)

    if (grantType === 'password') return this.passwordGrant(fields)
    if (grantType === 'refresh_token') return this.refreshGrant(fields)
    if (grantType === 'client_credentials') {
      throw new AuthupError(401, 'invalid_client', 'Client authentication failed: the client is unknown.')
    }
    throw new AuthupError(400, 'unsupported_token_grant_type', `The grant type "${grantType ?? ''}" is not supported.`)
  }

  private guessGrant(fields: Record<string, string>): string | undefined {
    if (fields.username !== undefined && fields.password !== undefined) return 'password'
    if (fields.refresh_token !== undefined) return 'refresh_token'
    if (fields.client_id !== undefined && fields.client_secret !== undefined) return 'client_credentials'
    return undefined
  }

  private passwordGrant(fields: Record<string, string>): Record<string, unknown> {
    const faults = this.settings.faults()
    if (faults.loginThrottled === true) {
      throw new AuthupError(429, 'login_attempt_throttled', 'Too many login attempts. Please try again later.')
    }

    // Without realm_id or realm_name the user is looked up in the realm named master (compared case-insensitively).
    const realmId = fields.realm_id
    const realmName = (fields.realm_name ?? (realmId === undefined ? 'master' : '')).toLowerCase()
    const user = [...this.world.users.values()].find(
      (candidate) =>
        candidate.name === fields.username &&
        (realmId === undefined ? candidate.realmName === realmName : candidate.realmId === realmId.toLowerCase())
    )
    if (user === undefined || user.password !== fields.password || faults.badCredentials === true) {
      throw new AuthupError(400, 'invalid_credentials', 'The user credentials are invalid.')
    }
    return this.issue(user, randomUUID())
  }

  private refreshGrant(fields: Record<string, string>): Record<string, unknown> {
    const token = fields.refresh_token ?? ''
    const record = this.refreshTokens.get(token)
    if (record === undefined || record.expiresAt < Date.now() || this.revokedFamilies.has(record.familyId)) {
      throw new AuthupError(401, 'invalid_token', 'The JWT is invalid.')
    }

    // Rotation with replay detection: a refresh token works once, and a second use revokes its whole family.
    if (record.used) {
      this.revokedFamilies.add(record.familyId)
      throw new AuthupError(401, 'invalid_token', 'The JWT is invalid: the refresh token was already used, so its token family is revoked.')
    }
    record.used = true

    const user = this.world.users.get(record.userId)
    if (user === undefined) throw new AuthupError(401, 'invalid_token', 'The JWT is invalid.')
    return this.issue(user, record.familyId)
  }

  private issue(user: UserEntity, familyId: string): Record<string, unknown> {
    const now = Date.now()
    const lifetime = this.settings.lifetimeSeconds()
    const revokeAfter = this.settings.faults().tokenRevokedAfterSeconds
    const expiresAt = now + lifetime * 1000
    const revokedAt = revokeAfter === undefined ? expiresAt : now + revokeAfter * 1000 * this.settings.timeScale

    const accessToken = this.token(user, 'access', now, expiresAt)
    const refreshToken = this.token(user, 'refresh', now, now + REFRESH_LIFETIME_SECONDS * 1000)
    this.accessTokens.set(accessToken, { userId: user.id, familyId, expiresAt, revokedAt: Math.min(revokedAt, expiresAt) })
    this.refreshTokens.set(refreshToken, {
      userId: user.id,
      familyId,
      expiresAt: now + REFRESH_LIFETIME_SECONDS * 1000,
      used: false
    })

    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: lifetime,
      refresh_token: refreshToken,
      refresh_token_expires_in: REFRESH_LIFETIME_SECONDS,
      scope: 'global'
    }
  }

  /** Lists every access and refresh token issued so far, so tests can scan output for leaked tokens. */
  issuedTokens(): string[] {
    return [...this.accessTokens.keys(), ...this.refreshTokens.keys()]
  }

  /** Creates a JWT-shaped token. Its signature is random because the simulator checks tokens by lookup. */
  private token(user: UserEntity, kind: string, issuedAt: number, expiresAt: number): string {
    const header = base64Url({ alg: 'HS256', typ: 'JWT' })
    const payload = base64Url({
      sub: user.id,
      sub_kind: 'user',
      realm_id: user.realmId,
      realm_name: user.realmName,
      kind,
      iat: Math.floor(issuedAt / 1000),
      exp: Math.floor(expiresAt / 1000),
      jti: randomUUID()
    })
    return `${header}.${payload}.${randomBytes(32).toString('base64url')}`
  }

  /** Checks an Authorization header and returns the user id, or throws 401 `identity_unauthorized`. */
  verify(authorization: string | undefined): string {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')
    if (match === null) throw new ApiError(401, 'identity_unauthorized', 'Authentication required.')

    const record = this.accessTokens.get(match[1] ?? '')
    if (record === undefined || this.revokedFamilies.has(record.familyId)) {
      throw new ApiError(401, 'identity_unauthorized', 'The access token is invalid.')
    }
    const now = Date.now()
    if (now >= record.expiresAt || now >= record.revokedAt) {
      throw new ApiError(401, 'identity_unauthorized', 'The access token has expired.')
    }
    return record.userId
  }
}
