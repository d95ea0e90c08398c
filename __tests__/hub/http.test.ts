// The request layer against small node:http servers: backoff timing on an injected clock,
// which failures a write may retry, timeouts, pacing and the concurrency cap.

import { afterEach, describe, expect, it } from '@jest/globals'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { HubError } from '../../src/hub/errors.js'
import { Transport, defaultRetryPolicy, silentLogger, type HubRequest, type TransportOptions } from '../../src/hub/http.js'
import { FakeClock } from './fake-clock.js'

const servers: Server[] = []

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
})

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void, port = 0): Promise<string> {
  const server = createServer(handler)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
}

/** Finds a port that nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

function transport(clock: FakeClock, overrides: Partial<TransportOptions> = {}): Transport {
  return new Transport({
    clock,
    requestTimeoutMs: 5000,
    maxConcurrent: 16,
    maxRequestsPerMinute: 60_000,
    retry: defaultRetryPolicy,
    log: silentLogger,
    random: () => 0,
    ...overrides
  })
}

function get(url: string, extra: Partial<HubRequest> = {}): HubRequest {
  return { operation: 'probe', method: 'GET', url: new URL(url), retryClass: 'idempotent', ...extra }
}

describe('Transport backoff', () => {
  it('doubles the delay up to the cap', async () => {
    const base = await listen((_req, res) => {
      res.writeHead(503).end()
    })
    const clock = new FakeClock()
    const layer = transport(clock, { retry: { ...defaultRetryPolicy, attempts: 6, baseDelayMs: 1000, maxDelayMs: 4000 } })
    await expect(layer.send(get(base))).rejects.toMatchObject({ kind: 'http', status: 503, details: { attempts: 6 } })
    // random() = 0 takes the lower half of each ceiling: 1000, 2000, 4000, 4000, 4000.
    expect(clock.sleeps).toEqual([500, 1000, 2000, 2000, 2000])
    expect(layer.stats.requests).toBe(6)
    expect(layer.stats.retries).toBe(5)
  })

  it('spreads delays with jitter', async () => {
    const base = await listen((_req, res) => {
      res.writeHead(500).end()
    })
    const clock = new FakeClock()
    const layer = transport(clock, { random: () => 0.999, retry: { ...defaultRetryPolicy, attempts: 2 } })
    await expect(layer.send(get(base))).rejects.toBeInstanceOf(HubError)
    expect(clock.sleeps).toEqual([500])
  })

  it('logs each retry with its reason', async () => {
    const base = await listen((_req, res) => {
      res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'internal_error', message: 'upstream down' }))
    })
    const lines: string[] = []
    const layer = transport(new FakeClock(), {
      retry: { ...defaultRetryPolicy, attempts: 3 },
      log: { ...silentLogger, info: (line) => lines.push(line) }
    })
    await expect(layer.send(get(base))).rejects.toThrow('HTTP 502 internal_error: upstream down')
    expect(lines).toHaveLength(2)
    expect(lines[0]).toContain('retry 1 of 2')
    expect(lines[0]).toContain('upstream down')
  })
})

describe('Transport writes', () => {
  it('retries a POST the server refused to connect', async () => {
    const port = await freePort()
    const clock = new FakeClock()
    let bodies = 0
    const originalSleep = clock.sleep.bind(clock)
    // The server comes up while the client waits for its first retry.
    clock.sleep = async (ms, signal) => {
      if (servers.length === 0) {
        await listen((req, res) => {
          bodies += 1
          req.resume()
          res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"p1"}')
        }, port)
      }
      return originalSleep(ms, signal)
    }
    const layer = transport(clock)
    const response = await layer.send({ operation: 'create', method: 'POST', url: new URL(`http://127.0.0.1:${port}/projects`), body: '{}', retryClass: 'write' })
    expect(await layer.readJson(response)).toEqual({ id: 'p1' })
    expect(bodies).toBe(1)
    expect(layer.stats.retries).toBe(1)
  })

  it('does not retry a POST after a reset', async () => {
    let hits = 0
    const base = await listen((req) => {
      hits += 1
      req.socket.destroy()
    })
    const layer = transport(new FakeClock())
    await expect(layer.send({ operation: 'create', method: 'POST', url: new URL(base), body: '{}', retryClass: 'write' })).rejects.toMatchObject({
      kind: 'network'
    })
    expect(hits).toBe(1)
  })

  it('retries a POST after 429', async () => {
    let hits = 0
    const base = await listen((req, res) => {
      hits += 1
      req.resume()
      if (hits === 1) {
        res.writeHead(429, { 'retry-after': '1' }).end()
        return
      }
      res.writeHead(202, { 'content-type': 'application/json' }).end('{}')
    })
    const clock = new FakeClock()
    const layer = transport(clock)
    await layer.send({ operation: 'command', method: 'POST', url: new URL(base), body: '{}', retryClass: 'write' })
    expect(hits).toBe(2)
    expect(clock.sleeps).toEqual([1000])
  })

  it('sends a once request exactly once', async () => {
    let hits = 0
    const base = await listen((req, res) => {
      hits += 1
      req.resume()
      res.writeHead(429).end()
    })
    const layer = transport(new FakeClock())
    await expect(layer.send({ operation: 'refresh', method: 'POST', url: new URL(base), body: '{}', retryClass: 'once' })).rejects.toMatchObject({ status: 429 })
    expect(hits).toBe(1)
  })
})

describe('Transport timeouts', () => {
  it('times out a silent server and retries GET', async () => {
    let hits = 0
    const base = await listen(() => {
      hits += 1
    })
    const layer = transport(new FakeClock(), { requestTimeoutMs: 100, retry: { ...defaultRetryPolicy, attempts: 2 } })
    const error = (await layer.send(get(base)).catch((caught: unknown) => caught)) as HubError
    expect(error.kind).toBe('timeout')
    expect(error.message).toContain('timed out after 100 ms')
    expect(hits).toBe(2)
  })

  it('reports the caller abort as aborted', async () => {
    const base = await listen(() => undefined)
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    const layer = transport(new FakeClock())
    await expect(layer.send(get(base, { signal: controller.signal }))).rejects.toMatchObject({ kind: 'aborted' })
    expect(layer.stats.requests).toBe(1)
  })

  it('retries GET after a cut body', async () => {
    let hits = 0
    const base = await listen((_req, res) => {
      hits += 1
      if (hits === 1) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' })
        res.write('{"data":')
        setTimeout(() => res.socket?.destroy(), 10)
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[]}')
    })
    const layer = transport(new FakeClock())
    await expect(layer.readJson(await layer.send(get(base)))).resolves.toEqual({ data: [] })
    expect(hits).toBe(2)
    expect(layer.stats.retries).toBe(1)
  })

  it('rejects a body that is not JSON', async () => {
    const base = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>proxy login</html>')
    })
    const layer = transport(new FakeClock())
    await expect(layer.readJson(await layer.send(get(base)))).rejects.toMatchObject({ kind: 'protocol' })
  })
})

describe('Transport pacing', () => {
  it('spaces requests beyond the bucket', async () => {
    const base = await listen((_req, res) => {
      res.writeHead(200).end('{}')
    })
    const clock = new FakeClock()
    // 60 per minute gives a bucket of one request that refills once per second.
    const layer = transport(clock, { maxRequestsPerMinute: 60 })
    for (let i = 0; i < 3; i++) {
      await layer.readJson(await layer.send(get(base)))
    }
    expect(clock.sleeps).toEqual([1000, 1000])
  })

  it('caps requests in flight', async () => {
    let maxInFlight = 0
    const waiting: ServerResponse[] = []
    // Responds in pairs, 50 ms after the second request of a pair arrives, so a third request
    // sent past the cap would show up while the pair is held.
    const base = await listen((_req, res) => {
      waiting.push(res)
      maxInFlight = Math.max(maxInFlight, waiting.length)
      if (waiting.length === 2) {
        setTimeout(() => {
          for (const held of waiting.splice(0)) {
            held.writeHead(200).end('{}')
          }
        }, 50)
      }
    })
    const layer = transport(new FakeClock(), { maxConcurrent: 2 })
    await Promise.all(Array.from({ length: 6 }, async () => layer.readJson(await layer.send(get(base)))))
    expect(maxInFlight).toBe(2)
    expect(layer.stats.requests).toBe(6)
  })
})
