// Status page speed in headless Chromium: time from navigation to the fully rendered page with
// full history, and the bytes the browser loads before it requests the first log.

import { existsSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import path from 'node:path'

import { chromium, type Browser } from 'playwright-core'

import { formatLine } from '../src/history/format.js'
import { buildStatusFiles, reportKeys } from '../src/publish/status-artifacts.js'
import { REPO_ROOT } from './action-process.js'
import { atMost, figureOf, type Figure } from './figures.js'

const TEMPLATE_DIR = path.join(REPO_ROOT, 'docs-template')
const CHROMIUM_PATH = '/usr/bin/chromium'
const LINES_PER_LOG = 2000
const ROUND_INTERVAL_MINUTES = 30

/** Mark that docs-template/js/main.js sets once the overall status and the cards near the viewport are final. */
const READY_MARK = 'status-page-ready'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.log': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml'
}

interface PageSite {
  url: string
  /** Bytes (headers and bodies) of the responses to requests that arrived before the first `.log` request. */
  bytesBeforeFirstLog(): number
  /** `.log` requests since the last reset. */
  logRequests(): number
  reset(): void
  stop(): Promise<void>
}

/** Serves docs-template/ with `files` (URL path without leading slash → content) laid over it. */
async function serveSite(files: ReadonlyMap<string, string>): Promise<PageSite> {
  let bytesBeforeLog = 0
  let logRequested = false
  let logRequests = 0
  // Bytes written on each keep-alive socket so far; Chromium sends one request at a time per socket.
  const writtenBefore = new WeakMap<Socket, number>()

  const server: Server = createServer((request, response) => {
    const urlPath = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname).replace(/^\/+/, '') || 'index.html'
    if (urlPath.endsWith('.log')) {
      logRequested = true
      logRequests += 1
    }
    const beforeFirstLog = !logRequested

    const socket = request.socket
    response.once('finish', () => {
      const written = socket.bytesWritten
      if (beforeFirstLog) bytesBeforeLog += written - (writtenBefore.get(socket) ?? 0)
      writtenBefore.set(socket, written)
    })

    let body = files.get(urlPath)
    const templateFile = path.normalize(path.join(TEMPLATE_DIR, urlPath))
    if (body === undefined && templateFile.startsWith(TEMPLATE_DIR) && existsSync(templateFile)) body = readFileSync(templateFile, 'utf8')
    if (body === undefined) {
      response.writeHead(404)
      response.end()
      return
    }

    const bytes = Buffer.from(body, 'utf8')
    response.writeHead(200, { 'content-type': CONTENT_TYPES[path.extname(urlPath)] ?? 'application/octet-stream', 'cache-control': 'no-store' })
    response.end(bytes)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}/`,
    bytesBeforeFirstLog: () => bytesBeforeLog,
    logRequests: () => logRequests,
    reset: () => {
      bytesBeforeLog = 0
      logRequested = false
      logRequests = 0
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/** Logs of `LINES_PER_LOG` passed rounds ending now, plus the status.json the action writes for them. */
function buildSiteFiles(nodes: string[]): Map<string, string> {
  const now = Date.now()
  const first = now - (LINES_PER_LOG - 1) * ROUND_INTERVAL_MINUTES * 60_000
  const stepSeconds: Record<string, number> = { login: 1.2, latency: 84.2 }

  const logs = new Map<string, string>()
  for (const key of reportKeys(nodes)) {
    const seconds = stepSeconds[key] ?? 20.5
    const lines: string[] = []
    for (let index = 0; index < LINES_PER_LOG; index++) {
      lines.push(`${formatLine({ timestamp: new Date(first + index * ROUND_INTERVAL_MINUTES * 60_000), status: 'success', seconds })}\n`)
    }
    logs.set(key, lines.join(''))
  }

  const files = new Map<string, string>()
  for (const [key, content] of logs) files.set(`logs/${key}_report.log`, content)
  const artifacts = buildStatusFiles(logs, { logDir: 'docs/logs', nodes, aggregator: 'aggregator-1', now })
  files.set('status.json', artifacts.get('docs/status.json')!)
  return files
}

async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install the chromium package.`)
  // No network beyond 127.0.0.1: every other host name fails to resolve.
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'
    ]
  })
}

interface PageTimes {
  readyMs: number[]
  bytes: number[]
  /** Logs requested until the ready mark; node cards far below the viewport load theirs on scrolling. */
  logsLoaded: number[]
}

/** Opens the page `runs` times in fresh contexts and measures each load. */
async function timePage(browser: Browser, site: PageSite, runs: number): Promise<PageTimes> {
  const readyMs: number[] = []
  const bytes: number[] = []
  const logsLoaded: number[] = []
  for (let run = 0; run < runs; run++) {
    site.reset()
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 }, serviceWorkers: 'block' })
    try {
      const page = await context.newPage()
      await page.goto(site.url)
      await page.waitForSelector('body[data-ready]', { timeout: 60_000 })
      const mark = await page.evaluate((name) => performance.getEntriesByName(name)[0]?.startTime ?? null, READY_MARK)
      if (mark === null) throw new Error(`The page set data-ready but no '${READY_MARK}' performance mark. Check docs-template/js/main.js.`)
      readyMs.push(mark)
      bytes.push(site.bytesBeforeFirstLog())
      logsLoaded.push(site.logRequests())
    } finally {
      await context.close()
    }
  }
  return { readyMs, bytes, logsLoaded }
}

/** Measures the page with 3 nodes and, unless `large` is false, with 300 compute nodes. */
export async function measurePage(options: { runs: number; large: boolean }): Promise<Figure[]> {
  const browser = await launchBrowser()
  const figures: Figure[] = []
  try {
    const cases = [{ label: '9 logs × 2000 lines', nodes: ['aggregator-1', 'default-1', 'default-2'] }]
    if (options.large) {
      const computeNodes = Array.from({ length: 300 }, (_, index) => `default-${index + 1}`)
      cases.push({ label: '306 logs × 2000 lines (300 compute nodes)', nodes: ['aggregator-1', ...computeNodes] })
    }
    for (const { label, nodes } of cases) {
      const site = await serveSite(buildSiteFiles(nodes))
      try {
        const { readyMs, bytes, logsLoaded } = await timePage(browser, site, options.runs)
        figures.push(
          figureOf(`Page, ${label}: navigation to fully rendered`, readyMs, 'ms', atMost(150)),
          figureOf(`Page, ${label}: bytes before the first log request`, bytes.map((count) => count / 1000), 'kB', atMost(60)),
          figureOf(`Page, ${label}: logs loaded until rendered`, logsLoaded, 'logs')
        )
      } finally {
        await site.stop()
      }
    }
  } finally {
    await browser.close()
  }
  return figures
}
