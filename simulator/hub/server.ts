// The simulator's HTTP server: one node:http server with the path prefixes /auth, /core and /storage
// (the path-based deployment layout), plus request counting, rate limiting and the request-level faults.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

import { AuthupError, parseTokenBody } from './auth.js'
import { handleCore } from './core-routes.js'
import type { BurstSpec } from './faults.js'
import type { RouteReply, RouteRequest } from './routing.js'
import type { HubRuntime } from './runtime.js'
import { handleStorage } from './storage-routes.js'
import { ApiError, errorBody } from './wire.js'

/** Request bodies above this size get 413. The health check uploads a few kilobytes. */
const MAX_BODY_BYTES = 64 * 1024 * 1024

const RATE_WINDOW_MS = 60_000

export interface RequestStats {
  total: number
  byEndpoint: Record<string, number>
  peakConcurrent: number
  rateLimited: number
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Normalises a path for counting: `GET /core/analyses/<uuid>` becomes `GET /core/analyses/:id`, bucket names too. */
export function endpointKey(method: string, pathname: string): string {
  const segments = pathname.split('/').map((segment) => {
    const last = segment.split('.').pop() ?? ''
    return UUID.test(segment) || (segment.includes('.') && UUID.test(last)) ? ':id' : segment
  })
  return `${method} ${segments.join('/')}`
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers
  })
  response.end(text)
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        reject(new ApiError(413, 'payload_too_large', `The request body exceeds ${MAX_BODY_BYTES} bytes.`))
        request.destroy()
        return
      }
      chunks.push(chunk)
    })
    request.on('end', () => resolve(Buffer.concat(chunks)))
    request.on('error', reject)
  })
}

/** Decides for each eligible request whether it falls into a burst: the first `burst` of every `every`. */
class BurstCounter {
  private count = 0

  hit(spec: BurstSpec | undefined): boolean {
    if (spec === undefined) return false
    const index = this.count++ % spec.every
    return index < spec.burst
  }
}

export class HubServer {
  readonly server: Server
  private stats: RequestStats = { total: 0, byEndpoint: {}, peakConcurrent: 0, rateLimited: 0 }
  private inFlight = 0
  private readonly userRequests = new Map<string, number[]>()
  private readonly serverErrorBursts = new BurstCounter()
  private readonly rateLimitBursts = new BurstCounter()
  private readonly connectionResetBursts = new BurstCounter()

  constructor(
    private readonly runtime: HubRuntime,
    private readonly version: string,
    private readonly rateLimitPerMinute: number,
    private readonly latencyMs: number
  ) {
    this.server = createServer((request, response) => {
      void this.handle(request, response)
    })
  }

  async listen(port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject)
        resolve()
      })
    })
    return (this.server.address() as AddressInfo).port
  }

  async close(): Promise<void> {
    // Stalled streams keep their connections open, so close them rather than wait for them.
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  getStats(): RequestStats {
    return { ...this.stats, byEndpoint: { ...this.stats.byEndpoint } }
  }

  resetStats(): void {
    this.stats = { total: 0, byEndpoint: {}, peakConcurrent: this.inFlight, rateLimited: 0 }
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now()
    const method = request.method ?? 'GET'
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    const key = endpointKey(method, url.pathname)

    this.stats.total++
    this.stats.byEndpoint[key] = (this.stats.byEndpoint[key] ?? 0) + 1
    this.inFlight++
    this.stats.peakConcurrent = Math.max(this.stats.peakConcurrent, this.inFlight)
    response.once('close', () => {
      this.inFlight--
      this.runtime.log(`${method} ${url.pathname} ${response.statusCode} ${Math.round(performance.now() - started)}ms`)
    })

    try {
      // A fixed delay per request stands in for network and server time, so client concurrency shows in peakConcurrent.
      if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs))
      const reply = await this.route(request, method, url)
      if (reply === undefined) return
      if (reply.status === 429) this.stats.rateLimited++
      if (reply.send !== undefined) reply.send(response)
      else sendJson(response, reply.status, reply.body, reply.headers)
    } catch (error) {
      this.sendError(response, error, method, url.pathname)
    }
  }

  private sendError(response: ServerResponse, error: unknown, method: string, pathname: string): void {
    if (response.headersSent) {
      response.destroy()
      return
    }
    if (error instanceof AuthupError) {
      if (error.status === 429) this.stats.rateLimited++
      sendJson(response, error.status, error.body())
      return
    }
    if (error instanceof ApiError) {
      sendJson(response, error.status, errorBody(error))
      return
    }
    this.runtime.log(`${method} ${pathname} failed inside the simulator: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    sendJson(response, 500, errorBody(new ApiError(500, 'internal_error', 'An internal server error occurred.')))
  }

  /** Returns the reply, or undefined when the connection was dropped on purpose. */
  private async route(request: IncomingMessage, method: string, url: URL): Promise<RouteReply | undefined> {
    const [, service = '', ...segments] = url.pathname.split('/')
    const decoded = segments.filter((segment) => segment !== '').map((segment) => decodeURIComponent(segment))

    if (service === 'auth') return this.routeAuth(request, method, url, decoded)
    if (service !== 'core' && service !== 'storage') {
      throw new ApiError(404, 'not_found', `No service at ${url.pathname}: use the prefixes /auth/, /core/ or /storage/.`)
    }

    // The version probe is the only open route and never wrapped.
    if (decoded.length === 0 && method === 'GET') {
      return { status: 200, body: { version: this.version, timestamp: Date.now() } }
    }

    const userId = this.runtime.tokens.verify(request.headers.authorization)
    const limited = this.checkRateLimit(userId)
    if (limited !== undefined) return limited

    const faults = this.runtime.faults
    if (method === 'GET' && this.connectionResetBursts.hit(faults.connectionResets)) {
      request.socket.destroy()
      return undefined
    }
    if (method === 'GET' && this.serverErrorBursts.hit(faults.serverErrors)) {
      const status = faults.serverErrors?.status ?? 502
      return { status, body: errorBody(new ApiError(status, 'internal_error', 'The service is temporarily unavailable.')) }
    }
    if (method === 'GET' && this.rateLimitBursts.hit(faults.rateLimited)) {
      return this.tooManyRequests(faults.rateLimited?.retryAfterSeconds ?? 1)
    }

    const body = await readBody(request)
    const routeRequest: RouteRequest = { method, segments: decoded, query: url.searchParams, headers: request.headers, body, userId }
    return service === 'core' ? handleCore(this.runtime, routeRequest) : handleStorage(this.runtime, routeRequest)
  }

  private async routeAuth(
    request: IncomingMessage,
    method: string,
    url: URL,
    segments: string[]
  ): Promise<RouteReply | undefined> {
    const authDown = this.runtime.faults.authDown
    if (authDown === 'refused') {
      request.socket.destroy()
      return undefined
    }
    if (authDown === 'unavailable') {
      return { status: 503, body: new AuthupError(503, 'service_unavailable', 'The service is unavailable.').body() }
    }

    if (method === 'GET' && segments.length === 0) return { status: 200, body: { version: '1.0.0-beta.62', timestamp: Date.now() } }
    if (method !== 'POST' || segments.length !== 1 || segments[0] !== 'token') {
      throw new AuthupError(404, 'not_found', `The route ${method} ${url.pathname} does not exist.`)
    }

    const fields = parseTokenBody(await readBody(request), request.headers['content-type'])
    const delaySeconds = this.runtime.faults.loginDelaySeconds
    if (delaySeconds !== undefined) {
      await new Promise<void>((resolve) => this.runtime.scheduler.after(delaySeconds, 1, 'login', resolve))
    }
    const limited = this.checkRateLimit(`login:${fields.username ?? fields.refresh_token ?? ''}`)
    if (limited !== undefined) return limited
    return { status: 200, body: this.runtime.tokens.grant(fields, url.searchParams) }
  }

  /** Sliding 60 s window per user, like the Hub's limiter (6000 requests per minute for users by default). */
  private checkRateLimit(identity: string): RouteReply | undefined {
    if (this.rateLimitPerMinute <= 0) return undefined
    const now = Date.now()
    const recent = (this.userRequests.get(identity) ?? []).filter((time) => now - time < RATE_WINDOW_MS)
    if (recent.length >= this.rateLimitPerMinute) {
      this.userRequests.set(identity, recent)
      const oldest = recent[0] ?? now
      return this.tooManyRequests(Math.max(1, Math.ceil((oldest + RATE_WINDOW_MS - now) / 1000)))
    }
    recent.push(now)
    this.userRequests.set(identity, recent)
    return undefined
  }

  private tooManyRequests(retryAfterSeconds: number): RouteReply {
    return {
      status: 429,
      headers: { 'retry-after': String(retryAfterSeconds) },
      body: errorBody(new ApiError(429, 'too_many_requests', 'Too many requests, please try again later.'))
    }
  }
}
