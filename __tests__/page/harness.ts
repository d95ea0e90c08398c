// Test harness for the status page: a static file server on 127.0.0.1 that serves
// docs-template/ with test logs laid over it, real Chromium through playwright-core, and a
// generator of history logs in the action's line format.

import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'

import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core'

import { formatLine, type LineStatus } from '../../src/history/format.js'

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const TEMPLATE_DIR = join(REPO_ROOT, 'docs-template')
export const PREDECESSOR_LOGS = '/work/shared/data/predecessor-logs'
export const ARTIFACT_DIR = join(REPO_ROOT, 'test-artifacts')
const CHROMIUM_PATH = '/usr/bin/chromium'

/** What the server returns for one path: content, an HTTP status, or a dropped connection. */
export type Served = string | { status: number } | { drop: true }

export interface PageServer {
  url: string
  /** Overlay files by URL path without the leading slash, e.g. `logs/login_report.log`. */
  files: Map<string, Served>
  requests: string[]
  stop(): Promise<void>
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.log': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml'
}

export async function startPageServer(files: Map<string, Served> = new Map()): Promise<PageServer> {
  const requests: string[] = []
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname).replace(/^\/+/, '') || 'index.html'
    requests.push(request.url ?? '')
    const overlay = files.get(path)
    if (overlay !== undefined) {
      if (typeof overlay === 'string') {
        response.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' })
        response.end(overlay)
      } else if ('drop' in overlay) request.socket.destroy()
      else {
        response.writeHead(overlay.status)
        response.end()
      }
      return
    }
    const file = normalize(join(TEMPLATE_DIR, path))
    if (!file.startsWith(TEMPLATE_DIR) || path.startsWith('logs/') || !existsSync(file)) {
      response.writeHead(404)
      response.end()
      return
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' })
    response.end(readFileSync(file))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    files,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

export interface TestBrowser {
  browser: Browser
  close(): Promise<void>
}

/** Launches Debian's Chromium headless; playwright gives each launch a new empty profile directory. */
export async function launchChromium(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}. The page tests need a real browser: run \`apt-get install chromium\`.`)
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync'
    ]
  })
  return {
    browser,
    close: () => browser.close()
  }
}

export interface OpenedPage {
  context: BrowserContext
  page: Page
  /** Console errors, page errors and failed requests other than the expected ones. */
  errors: string[]
}

/**
 * Opens the page with the browser clock fixed at `now` and waits until the first full render
 * has settled (body[data-ready]). Options set the time zone, colour scheme and viewport.
 */
export async function openPage(
  browser: Browser,
  url: string,
  now: Date,
  options: {
    timezoneId?: string
    colorScheme?: 'light' | 'dark'
    viewport?: { width: number; height: number }
    /** URLs a test serves as missing or broken on purpose; their load errors are expected. */
    expectedFailures?: RegExp
    /** `fixed` freezes Date only; `installed` also fakes timers so a test can run them forward. */
    clock?: 'fixed' | 'installed'
    /** Emulates a phone with a touch screen. */
    touch?: boolean
  } = {}
): Promise<OpenedPage> {
  const context = await browser.newContext({
    timezoneId: options.timezoneId ?? 'UTC',
    colorScheme: options.colorScheme ?? 'light',
    viewport: options.viewport ?? { width: 1000, height: 900 },
    serviceWorkers: 'block',
    hasTouch: options.touch ?? false,
    isMobile: options.touch ?? false
  })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() !== 'error') return

    // Chromium logs every failed fetch as "Failed to load resource". Those of files a test
    // breaks on purpose are expected, because the page shows them in place.
    const url = message.location().url
    const expected = message.text().startsWith('Failed to load resource') && options.expectedFailures?.test(url)
    if (!expected) errors.push(`${message.text()} (${url})`)
  })
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`))
  if (options.clock === 'installed') await page.clock.install({ time: now })
  else await page.clock.setFixedTime(now)
  await page.goto(url)
  await page.waitForSelector('body[data-ready]')
  return { context, page, errors }
}

export function saveScreenshotPath(name: string): string {
  mkdirSync(ARTIFACT_DIR, { recursive: true })
  return join(ARTIFACT_DIR, name)
}

export const STEP_KEYS = ['login', 'upload', 'distribute', 'execute', 'results', 'latency'] as const

export interface RoundOutcome {
  steps?: Partial<Record<(typeof STEP_KEYS)[number], LineStatus>>
  nodes?: Record<string, LineStatus>
  latencySeconds?: number | null
}

/**
 * Generates the logs of rounds every `intervalMinutes` from `from` up to `to` (inclusive).
 * `outcome` decides each round; anything it leaves out passes. Returns report key → content.
 */
export function generateLogs(options: {
  nodes: string[]
  from: Date
  to: Date
  intervalMinutes: number
  outcome?: (time: Date, index: number) => RoundOutcome
}): Map<string, string> {
  const lines = new Map<string, string[]>()
  const keys = [...STEP_KEYS, ...options.nodes.map((node) => `node_${node}`)]
  for (const key of keys) lines.set(key, [])

  let index = 0
  for (let time = options.from.getTime(); time <= options.to.getTime(); time += options.intervalMinutes * 60_000) {
    const timestamp = new Date(time)
    const outcome = options.outcome?.(timestamp, index++) ?? {}
    for (const key of STEP_KEYS) {
      const status = outcome.steps?.[key] ?? 'success'
      let seconds: number | null = 20
      if (status === 'unknown') seconds = null
      else if (key === 'latency') seconds = outcome.latencySeconds ?? 120
      else if (key === 'login') seconds = 1.1
      lines.get(key)!.push(formatLine({ timestamp, status, seconds }))
    }
    for (const node of options.nodes) {
      const status = outcome.nodes?.[node] ?? 'success'
      lines.get(`node_${node}`)!.push(formatLine({ timestamp, status, seconds: status === 'success' ? 120 : null }))
    }
  }
  return new Map([...lines].map(([key, keyLines]) => [key, keyLines.map((line) => `${line}\n`).join('')]))
}

/** Serves generated logs under logs/ and a status.json naming the nodes. */
export function serveLogs(files: Map<string, Served>, logs: Map<string, string>, status?: string): void {
  for (const [key, content] of logs) files.set(`logs/${key}_report.log`, content)
  if (status !== undefined) files.set('status.json', status)
}
