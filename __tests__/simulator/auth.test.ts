import { afterEach, expect, test } from '@jest/globals'

import { startHubSimulator, type HubSimulator, type HubSimulatorOptions } from '../../simulator/hub/index.js'
import { call, login } from './helpers.js'

let sim: HubSimulator | undefined

afterEach(async () => {
  await sim?.stop()
  sim = undefined
})

async function start(options: HubSimulatorOptions = {}): Promise<HubSimulator> {
  sim = await startHubSimulator({ timeScale: 0.01, ...options })
  return sim
}

async function tokenRequest(target: HubSimulator, body: string, contentType: string) {
  const response = await fetch(`${target.authUrl}token`, { method: 'POST', headers: { 'content-type': contentType }, body })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

test('password grant returns bearer tokens', async () => {
  const target = await start()
  const reply = await login(target)

  expect(reply.status).toBe(200)
  expect(reply.body.token_type).toBe('Bearer')
  expect(reply.body.expires_in).toBe(900)
  expect(reply.body.refresh_token_expires_in).toBe(259200)
  expect(typeof reply.body.scope).toBe('string')
  expect(reply.body.access_token.split('.')).toHaveLength(3)
  expect((await call(target.coreUrl, reply.body.access_token, 'GET', 'nodes')).status).toBe(200)
})

test('password grant accepts form body and realm', async () => {
  const target = await start({ username: 'alice', password: 's3cret', tokenLifetimeSeconds: 120 })
  const form = new URLSearchParams({ grant_type: 'password', username: 'alice', password: 's3cret', realm_name: 'MASTER' })
  const reply = await tokenRequest(target, form.toString(), 'application/x-www-form-urlencoded')
  expect(reply.status).toBe(200)
  expect(reply.body.expires_in).toBe(120)

  // Without grant_type, username and password select the password grant.
  const guessed = await tokenRequest(target, JSON.stringify({ username: 'alice', password: 's3cret' }), 'application/json')
  expect(guessed.status).toBe(200)

  const otherRealm = await tokenRequest(target, JSON.stringify({ username: 'alice', password: 's3cret', realm_name: 'node-realm' }), 'application/json')
  expect(otherRealm.status).toBe(400)
})

test('wrong password gives flat authup error', async () => {
  const target = await start()
  const reply = await login(target, 'wrong')
  expect(reply.status).toBe(400)
  expect(reply.body.code).toBe('invalid_credentials')
  expect(reply.body.message).toBe('The user credentials are invalid.')
  expect(reply.body.statusCode).toBeUndefined()
})

test('unknown grant type gives 400', async () => {
  const target = await start()
  const reply = await tokenRequest(target, JSON.stringify({ grant_type: 'robot_credentials', id: 'x', secret: 'y' }), 'application/json')
  expect(reply.status).toBe(400)
  expect(reply.body.code).toBe('unsupported_token_grant_type')
})

test('refresh rotates and detects replay', async () => {
  const target = await start()
  const first = (await login(target)).body
  const refresh = (token: string) =>
    tokenRequest(target, JSON.stringify({ grant_type: 'refresh_token', refresh_token: token }), 'application/json')

  const second = await refresh(first.refresh_token)
  expect(second.status).toBe(200)
  expect(second.body.refresh_token).not.toBe(first.refresh_token)
  expect((await call(target.coreUrl, String(second.body.access_token), 'GET', 'nodes')).status).toBe(200)

  // Reusing the first refresh token is a replay: it fails and revokes the whole family.
  const replay = await refresh(first.refresh_token)
  expect(replay.status).toBe(401)
  expect(String(replay.body.message)).toContain('JWT')
  expect((await refresh(String(second.body.refresh_token))).status).toBe(401)
  expect((await call(target.coreUrl, String(second.body.access_token), 'GET', 'nodes')).status).toBe(401)

  const garbage = await refresh('not-a-token')
  expect(garbage.status).toBe(401)
})

test('token expiry fault rejects old tokens', async () => {
  // 20 simulated seconds at time scale 0.01 are 200 ms.
  const target = await start({ faults: { tokenRevokedAfterSeconds: 20 } })
  const reply = await login(target)
  expect(reply.body.expires_in).toBe(900)
  expect((await call(target.coreUrl, reply.body.access_token, 'GET', 'nodes')).status).toBe(200)

  await new Promise((resolve) => setTimeout(resolve, 300))
  const expired = await call(target.coreUrl, reply.body.access_token, 'GET', 'nodes')
  expect(expired.status).toBe(401)
  expect(expired.body.code).toBe('identity_unauthorized')
  expect(expired.body.message).toBe('The access token has expired.')

  const fresh = await login(target)
  expect((await call(target.coreUrl, fresh.body.access_token, 'GET', 'nodes')).status).toBe(200)
})

test('user rate limit answers 429 with retry-after', async () => {
  const target = await start({ rateLimitPerMinute: 3 })
  const accessToken = (await login(target)).body.access_token
  const statuses: number[] = []
  let retryAfter: string | null = null
  for (let index = 0; index < 5; index++) {
    const reply = await call(target.coreUrl, accessToken, 'GET', 'nodes')
    statuses.push(reply.status)
    retryAfter = reply.headers.get('retry-after') ?? retryAfter
  }
  expect(statuses).toEqual([200, 200, 200, 429, 429])
  expect(Number(retryAfter)).toBeGreaterThan(0)
  expect(target.stats().rateLimited).toBe(2)
})

test('login faults: throttled, bad credentials, auth down', async () => {
  const target = await start()
  target.setFaults({ loginThrottled: true })
  const throttled = await login(target)
  expect(throttled.status).toBe(429)
  expect(throttled.body.code).toBe('login_attempt_throttled')
  expect(target.stats().rateLimited).toBe(1)

  target.setFaults({ badCredentials: true })
  expect((await login(target)).body.code).toBe('invalid_credentials')

  target.setFaults({ authDown: 'unavailable' })
  expect((await login(target)).status).toBe(503)

  target.setFaults({ authDown: 'refused' })
  await expect(login(target)).rejects.toThrow()

  target.setFaults({})
  expect((await login(target)).status).toBe(200)
})

test('scenario faults stay under setFaults', async () => {
  const target = await start({ scenario: 'login-throttled' })
  expect((await login(target)).status).toBe(429)
  target.setFaults({})
  expect((await login(target)).status).toBe(429)
})
