// The status page in real Chromium against a static server on 127.0.0.1, with a fixed
// browser clock: card states, bar colours per UTC day, uptime figures, the overall badge,
// bad data, banners, time zones, keyboard tooltips, themes and refresh.

import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals'

import { parseLog } from '../../src/history/format.js'
import { buildStatusFiles, buildStatusSummary } from '../../src/publish/status-artifacts.js'
import {
  generateLogs,
  launchChromium,
  openPage,
  PREDECESSOR_LOGS,
  saveScreenshotPath,
  serveLogs,
  startPageServer,
  TEMPLATE_DIR,
  type OpenedPage,
  type PageServer,
  type TestBrowser
} from './harness.js'

const NODES = ['aggregator-1', 'default-1', 'default-2']
const NOW = new Date('2026-06-13T12:10:00Z')
const ROUND_END = new Date('2026-06-13T12:00:00Z')

let chromium: TestBrowser
let server: PageServer
const opened: OpenedPage[] = []

beforeAll(async () => {
  chromium = await launchChromium()
})

afterAll(async () => {
  await chromium?.close()
})

afterEach(async () => {
  for (const { context, errors } of opened.splice(0)) {
    await context.close()
    expect(errors).toEqual([])
  }
  await server?.stop()
})

async function open(now: Date, options: Parameters<typeof openPage>[3] = {}): Promise<OpenedPage> {
  const result = await openPage(chromium.browser, server.url, now, options)
  opened.push(result)
  return result
}

/** Serves logs plus the status.json the action would write for them at `now`. */
function publish(logs: Map<string, string>, now: Date, nodes = NODES): Record<string, unknown> {
  const files = buildStatusFiles(logs, { logDir: 'docs/logs', nodes, aggregator: 'aggregator-1', now: now.getTime() })
  serveLogs(server.files, logs, files.get('docs/status.json'))
  return JSON.parse(files.get('docs/status.json')!)
}

/** default-2 down all of 2026-06-10, down in a few rounds of 2026-06-11, and down in the latest round. */
function degradedWeek(): Map<string, string> {
  return generateLogs({
    nodes: NODES,
    from: new Date('2026-05-10T00:00:00Z'),
    to: ROUND_END,
    intervalMinutes: 30,
    outcome: (time) => {
      const day = time.toISOString().slice(0, 10)
      const down = day === '2026-06-10' || (day === '2026-06-11' && time.getUTCHours() < 3) || time.getTime() === ROUND_END.getTime()
      return down ? { steps: { execute: 'failed', results: 'unknown', latency: 'unknown' }, nodes: { 'default-2': 'failed' } } : {}
    }
  })
}

async function barStates(opened: OpenedPage, key: string): Promise<{ start: string; state: string }[]> {
  return opened.page.$$eval(`.card[data-key="${key}"] .bar`, (bars) =>
    bars.map((bar) => ({ start: (bar as HTMLElement).dataset.start!.slice(0, 10), state: (bar as HTMLElement).dataset.state! }))
  )
}

describe('status page', () => {
  beforeEach(async () => {
    server = await startPageServer()
  })

  test('generated logs: cards, bars, uptime, badge', async () => {
    const status = publish(degradedWeek(), NOW) as { components: { id: string; uptime: Record<string, { percent: number | null }> }[] }
    const page = await open(NOW)

    expect(await page.page.getAttribute('#overall-badge', 'data-status')).toBe('partial_outage')
    expect(await page.page.textContent('#overall-text')).toBe('Partial outage')
    expect(await page.page.textContent('#last-run')).toContain('Latest run: 2026-06-13 12:00 UTC.')
    expect(await page.page.textContent('#overall-detail')).toBe('Run of 2026-06-13 12:00 UTC; failed: Execution, default-2; not checked: Results, End-to-end latency.')
    expect(await page.page.isHidden('#stale')).toBe(true)

    const states = await page.page.$$eval('.card', (cards) => Object.fromEntries(cards.map((card) => [(card as HTMLElement).dataset.key, (card as HTMLElement).dataset.state])))
    expect(states).toEqual({
      login: 'success',
      upload: 'success',
      distribute: 'success',
      execute: 'failure',
      results: 'nodata',
      latency: 'nodata',
      'node_aggregator-1': 'success',
      'node_default-1': 'success',
      'node_default-2': 'failure'
    })
    expect(await page.page.textContent('.card[data-key="node_default-2"] .state-text')).toBe('Down')
    expect(await page.page.textContent('.card[data-key="node_aggregator-1"] .card-subtitle')).toBe('aggregator')

    expect(await barStates(page, 'node_default-2')).toEqual([
      { start: '2026-06-07', state: 'success' },
      { start: '2026-06-08', state: 'success' },
      { start: '2026-06-09', state: 'success' },
      { start: '2026-06-10', state: 'failure' },
      { start: '2026-06-11', state: 'partial' },
      { start: '2026-06-12', state: 'success' },
      { start: '2026-06-13', state: 'partial' }
    ])
    expect((await barStates(page, 'node_default-1')).every((bar) => bar.state === 'success')).toBe(true)

    // Uptime on every card equals status.json for the same window, in every view.
    for (const [view, window] of [['7d', '7d'], ['24h', '24h'], ['30d', '30d']] as const) {
      await page.page.click(`#views button[data-view="${view}"]`)
      const uptimes = await page.page.$$eval('.card', (cards) => cards.map((card) => [(card as HTMLElement).dataset.key, (card as HTMLElement).dataset.uptime]))
      for (const [key, uptime] of uptimes) {
        const expected = status.components.find((component) => component.id === key)!.uptime[window]!.percent
        expect({ key, view, uptime }).toEqual({ key, view, uptime: expected === null ? '' : String(expected) })
      }
      const barCount = await page.page.$$eval('.card[data-key="login"] .bar', (bars) => bars.length)
      expect(barCount).toBe({ '7d': 7, '24h': 24, '30d': 30 }[view])
    }
    expect(await page.page.textContent('#window-label')).toBe('Last 30 days, UTC calendar days')
    expect(await page.page.getAttribute('#views button[data-view="30d"]', 'aria-pressed')).toBe('true')
    const uptimeText = await page.page.textContent('.card[data-key="results"] .details')
    expect(uptimeText).toMatch(/runs without data, excluded \(\d+\.\d\d % if counted as down\)/)

    // 30 days back from 2026-06-13 starts on 2026-05-15; the logs start 2026-05-10.
    const month = await barStates(page, 'login')
    expect(month[0]).toEqual({ start: '2026-05-15', state: 'success' })
  })

  test('overall status follows the action on scenarios', async () => {
    const scenarios = [
      { name: 'healthy', outcome: () => ({}) },
      { name: 'slow', outcome: () => ({ steps: { latency: 'failed' as const }, latencySeconds: 650 }) },
      { name: 'login', outcome: () => ({ steps: { login: 'failed' as const } }) },
      {
        name: 'setup',
        outcome: () => ({
          steps: { upload: 'failed' as const, distribute: 'unknown' as const, execute: 'unknown' as const, results: 'unknown' as const, latency: 'unknown' as const },
          nodes: { 'aggregator-1': 'failed' as const, 'default-1': 'unknown' as const, 'default-2': 'unknown' as const }
        })
      }
    ]
    const seen: Record<string, string> = {}
    for (const scenario of scenarios) {
      const logs = generateLogs({ nodes: NODES, from: new Date('2026-06-12T00:00:00Z'), to: ROUND_END, intervalMinutes: 30, outcome: scenario.outcome })
      const status = publish(logs, NOW) as { overall: string }
      const page = await open(NOW)
      seen[scenario.name] = (await page.page.getAttribute('#overall-badge', 'data-status'))!
      expect({ scenario: scenario.name, page: seen[scenario.name] }).toEqual({ scenario: scenario.name, page: status.overall })
    }
    expect(seen).toEqual({ healthy: 'operational', slow: 'degraded', login: 'major_outage', setup: 'major_outage' })
    expect(await opened[0]!.page.textContent('#overall-detail')).toBe('Run of 2026-06-13 12:00 UTC; every check passed.')
  })

  test('predecessor logs agree with the action', async () => {
    const logs = new Map<string, string>()
    for (const file of readdirSync(PREDECESSOR_LOGS).filter((name) => name.endsWith('_report.log'))) {
      logs.set(file.replace(/_report\.log$/, ''), readFileSync(join(PREDECESSOR_LOGS, file), 'utf8'))
    }
    serveLogs(server.files, logs)
    server.files.set('status.json', JSON.stringify({ aggregator: 'aggregator-1', components: [{ id: 'node_aggregator-1', name: 'aggregator-1', group: 'nodes' }] }))

    for (const time of ['2026-06-12T10:00:00Z', '2026-06-13T23:50:00Z', '2026-08-05T12:00:00Z', '2026-08-20T23:00:00Z']) {
      const now = new Date(time)
      const expected = buildStatusSummary(logs, { logDir: 'docs/logs', nodes: ['aggregator-1'], aggregator: 'aggregator-1', now: now.getTime() })
      const page = await open(now, { expectedFailures: /\/logs\/(upload|distribute|execute|results)_report\.log/ })
      expect({ time, overall: await page.page.getAttribute('#overall-badge', 'data-status') }).toEqual({ time, overall: expected.status })

      await page.page.click('#views button[data-view="30d"]')
      const uptimes = await page.page.$$eval('.card', (cards) => cards.map((card) => [(card as HTMLElement).dataset.key, (card as HTMLElement).dataset.uptime]))
      for (const [key, uptime] of uptimes) {
        const figure = expected.components.find((component) => component.id === key)!.uptime['30d'].percent
        expect({ time, key, uptime }).toEqual({ time, key, uptime: figure === null ? '' : String(figure) })
      }

      // Each day bar of the aggregator log against an independent count of its lines.
      const entries = parseLog(logs.get('node_aggregator-1')!).entries
      for (const bar of await barStates(page, 'node_aggregator-1')) {
        const day = entries.filter((entry) => entry.timestamp.toISOString().startsWith(bar.start) && entry.timestamp <= now)
        const passed = day.filter((entry) => entry.status === 'success').length
        const failed = day.filter((entry) => entry.status === 'failed').length
        let state = 'partial'
        if (passed + failed === 0) state = 'nodata'
        else if (failed === 0) state = 'success'
        else if (passed / (passed + failed) < 0.3) state = 'failure'
        expect({ time, day: bar.start, state: bar.state }).toEqual({ time, day: bar.start, state })
      }
      expect(await page.page.textContent('.card[data-key="upload"] .card-problem')).toContain('logs/upload_report.log was not found (HTTP 404).')

      // The newest line across all logs, whichever file it is in.
      const newest = [...logs.values()].flatMap((content) => parseLog(content).entries).filter((entry) => entry.timestamp <= now).map((entry) => entry.timestamp.getTime())
      const newestText = new Date(Math.max(...newest)).toISOString().slice(0, 16).replace('T', ' ')
      expect(await page.page.textContent('#last-run')).toContain(`Latest run: ${newestText} UTC.`)
      if (time === '2026-06-13T23:50:00Z') expect(await page.page.textContent('#stale')).toContain('the newest result is 10 hours old')
    }
  })

  test('bad data renders the rest with problems in place', async () => {
    const logs = degradedWeek()
    publish(logs, NOW)
    server.files.set('logs/login_report.log', `${logs.get('login')}not a line\n2026-13-01 00:00, success, 1.00\n`)
    server.files.set('logs/upload_report.log', '')
    server.files.delete('logs/distribute_report.log')
    server.files.set('logs/execute_report.log', { drop: true })
    server.files.set('logs/results_report.log', { status: 500 })
    server.files.set('messages.json', '{ not json')

    const page = await open(NOW, { expectedFailures: /\/logs\/(distribute|execute|results)_report\.log/ })
    const problem = (key: string) => page.page.textContent(`.card[data-key="${key}"] .card-problem`)
    expect(await problem('login')).toMatch(/^2 lines are not in the log format and were skipped \(line \d+, \d+\)\.$/)
    expect(await page.page.getAttribute('.card[data-key="login"]', 'data-state')).toBe('success')
    expect(await problem('upload')).toBe('The log is empty.')
    expect(await problem('distribute')).toBe('logs/distribute_report.log was not found (HTTP 404).')
    expect(await problem('execute')).toBe('Could not load logs/execute_report.log: network error.')
    expect(await problem('results')).toBe('Could not load logs/results_report.log: HTTP 500.')
    expect(await page.page.textContent('.card[data-key="execute"] .state-text')).toBe('Log not loaded')
    expect(await page.page.textContent('#page-problems')).toContain('messages.json is not valid JSON')
    expect(await page.page.isHidden('.card[data-key="latency"] .card-problem')).toBe(true)

    // Missing step logs count as unknown steps, exactly as in the action: partial at best.
    expect(await page.page.getAttribute('#overall-badge', 'data-status')).toBe('partial_outage')
    expect(await page.page.$$eval('.card[data-key="node_default-1"] .bar', (bars) => bars.length)).toBe(7)
  })

  test('status.json missing without configured nodes', async () => {
    serveLogs(server.files, degradedWeek())
    const page = await open(NOW, { expectedFailures: /\/status\.json/ })
    expect(await page.page.textContent('#page-problems')).toContain('Node cards are missing: status.json was not found (HTTP 404). Set "nodes" in config.js')
    expect(await page.page.isHidden('#node-section')).toBe(true)
    expect(await page.page.$$eval('#steps .card', (cards) => cards.length)).toBe(6)
  })

  test('latency limit comes from status.json', async () => {
    const logs = generateLogs({ nodes: NODES, from: new Date('2026-06-12T00:00:00Z'), to: ROUND_END, intervalMinutes: 30, outcome: (time) => ({ latencySeconds: time.getUTCDate() === 13 ? 130 : 90 }) })
    const files = buildStatusFiles(logs, { logDir: 'docs/logs', nodes: NODES, aggregator: 'aggregator-1', now: NOW.getTime(), latencyLimitSeconds: 100 })
    serveLogs(server.files, logs, files.get('docs/status.json'))
    const page = await open(NOW)

    const bars = await barStates(page, 'latency')
    expect(bars.slice(-2)).toEqual([
      { start: '2026-06-12', state: 'success' },
      { start: '2026-06-13', state: 'slow' }
    ])
    expect(await page.page.getAttribute('.card[data-key="latency"] .bar[data-start^="2026-06-13"]', 'aria-label')).toContain('0 of 25 runs within the 100 s limit.')
    expect(await page.page.textContent('.card[data-key="latency"] .state-text')).toBe('Over the latency limit')
    expect(await page.page.getAttribute('.card[data-key="latency"]', 'data-uptime')).toBe(String(JSON.parse(files.get('docs/status.json')!).components[5].uptime['7d'].percent))
  })

  test('stale data warns and shows no data', async () => {
    publish(degradedWeek(), NOW)
    const page = await open(new Date('2026-06-13T13:30:00Z'))
    expect(await page.page.isVisible('#stale')).toBe(true)
    expect(await page.page.textContent('#stale')).toContain('the newest result is 90 minutes old, but runs are expected every 30 minutes')
    expect(await page.page.getAttribute('#overall-badge', 'data-status')).toBe('no_data')
    expect(await page.page.textContent('.card[data-key="login"] .state-text')).toBe('No run in the last 60 min')
  })

  test('messages: HTML and javascript links stay text', async () => {
    publish(degradedWeek(), NOW)
    server.files.set(
      'messages.json',
      JSON.stringify([
        {
          date: '2026-06-12',
          type: '"><img src=x onerror="window.__xss=1">',
          title: '<img src=x onerror="window.__xss=2">Hub upgrade',
          text: 'See <script>window.__xss=3</script> javascript:window.__xss=4 and https://example.org/notes?a=1.',
          url: 'javascript:window.__xss=5'
        },
        { date: '2026-06-13', type: 'incident', title: 'Newest first', text: 'x', url: 'https://example.org/incident' },
        { date: '2026-06-01', type: 'maintenance', title: 'Future window', text: 'later', start: '2026-06-14T00:00:00Z' },
        { date: '2026-06-01', type: 'maintenance', title: 'Past window', text: 'over', end: '2026-06-13T12:00:00Z' },
        { date: '2026-06-13', type: 'maintenance', title: 'Node work', text: 'now', start: '2026-06-13T11:00', end: '2026-06-13T13:00', affects: ['default-1', 'upload'] },
        { text: 'no title' }
      ])
    )
    const page = await open(NOW)

    const titles = await page.page.$$eval('#messages .message h2', (headings) => headings.map((heading) => heading.textContent))
    expect(titles).toEqual(['Incident Newest first', 'Maintenance Node work', 'Information <img src=x onerror="window.__xss=2">Hub upgrade'])
    expect(await page.page.$$eval('#messages img, #messages script', (nodes) => nodes.length)).toBe(0)
    const links = await page.page.$$eval('#messages a', (anchors) => anchors.map((anchor) => (anchor as HTMLAnchorElement).href))
    expect(links).toEqual(['https://example.org/incident', 'https://example.org/notes?a=1'])
    expect(await page.page.textContent('#messages')).toContain('javascript:window.__xss=4')
    expect(await page.page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined()
    expect(await page.page.getAttribute('#messages .message:nth-child(3)', 'class')).toBe('message info')

    expect(await page.page.textContent('.card[data-key="node_default-1"] .state-text')).toBe('Under maintenance (operational)')
    expect(await page.page.textContent('.card[data-key="upload"] .state-text')).toBe('Under maintenance (operational)')
    expect(await page.page.textContent('#page-problems')).toContain('messages.json entry 6 is skipped')
  })

  test.each(['UTC', 'Europe/Berlin', 'America/Los_Angeles'])('UTC days in time zone %s', async (timezoneId) => {
    // Two failed rounds either side of a UTC midnight next to each daylight-saving change of
    // 2026: America on 03-08 10:00 UTC, Europe on 03-29 01:00 UTC. Local days would move them.
    const failures = new Set(['2026-03-07T23:30', '2026-03-08T00:00', '2026-03-08T00:30', '2026-03-28T23:30', '2026-03-29T00:00'])
    const logs = generateLogs({
      nodes: NODES,
      from: new Date('2026-02-25T00:00:00Z'),
      to: new Date('2026-03-30T02:00:00Z'),
      intervalMinutes: 30,
      outcome: (time) => (failures.has(time.toISOString().slice(0, 16)) ? { steps: { login: 'failed' } } : {})
    })
    const now = new Date('2026-03-30T02:05:00Z')
    publish(logs, now)
    const page = await open(now, { timezoneId })
    await page.page.click('#views button[data-view="30d"]')

    const bars = await barStates(page, 'login')
    expect(bars).toHaveLength(30)
    expect(bars[0]!.start).toBe('2026-03-01')
    const partialDays = bars.filter((bar) => bar.state !== 'success').map((bar) => `${bar.start} ${bar.state}`)
    expect(partialDays).toEqual(['2026-03-07 partial', '2026-03-08 partial', '2026-03-28 partial', '2026-03-29 partial'])
    const tip = await page.page.getAttribute('.card[data-key="login"] .bar[data-start^="2026-03-08"]', 'aria-label')
    expect(tip).toBe('Partial outage: 2026-03-08 (UTC day)\n46 of 48 runs passed.\nAverage duration 1.1 s.')

    await page.page.click('#views button[data-view="24h"]')
    const hours = await barStates(page, 'login')
    expect(hours).toHaveLength(24)
    expect(await page.page.getAttribute('.card[data-key="login"] .bar', 'aria-label')).toMatch(/^All passed: 2026-03-29 03:00–04:00 UTC\n2 of 2 runs passed\./)
  })

  test('keyboard focus opens every tooltip', async () => {
    publish(degradedWeek(), NOW)
    const page = await open(NOW)

    const mismatches = await page.page.evaluate(() => {
      const tooltip = document.getElementById('tooltip')!
      const problems: string[] = []
      const bars = Array.from(document.querySelectorAll<HTMLElement>('.bar'))
      for (const bar of bars) {
        bar.focus()
        if (tooltip.hidden || tooltip.textContent !== bar.getAttribute('aria-label') || bar.getAttribute('aria-describedby') !== 'tooltip') {
          problems.push(bar.dataset.start!)
        }
      }
      return { count: bars.length, problems }
    })
    expect(mismatches).toEqual({ count: 9 * 7, problems: [] })

    // Real keys: Tab reaches the newest bar of the first strip, arrows walk the strip.
    await page.page.focus('#auto-refresh')
    await page.page.keyboard.press('Tab')
    expect(await page.page.evaluate(() => (document.activeElement as HTMLElement).dataset.start)).toBe('2026-06-13T00:00:00.000Z')
    await page.page.keyboard.press('ArrowLeft')
    expect(await page.page.evaluate(() => (document.activeElement as HTMLElement).dataset.start)).toBe('2026-06-12T00:00:00.000Z')
    expect(await page.page.textContent('#tooltip')).toContain('2026-06-12 (UTC day)')
    await page.page.keyboard.press('Home')
    expect(await page.page.evaluate(() => (document.activeElement as HTMLElement).dataset.start)).toBe('2026-06-07T00:00:00.000Z')
    await page.page.keyboard.press('Escape')
    expect(await page.page.isHidden('#tooltip')).toBe(true)
    await page.page.keyboard.press('Tab')
    expect(await page.page.evaluate(() => (document.activeElement as HTMLElement).closest('.card')?.getAttribute('data-key'))).toBe('login')
  })

  test('touch opens a tooltip', async () => {
    publish(degradedWeek(), NOW)
    const { page } = await open(NOW, { touch: true, viewport: { width: 375, height: 800 } })
    await page.tap('.card[data-key="node_default-2"] .bar[data-start^="2026-06-10"]')
    expect(await page.isVisible('#tooltip')).toBe(true)
    expect(await page.textContent('#tooltip')).toBe('Outage: 2026-06-10 (UTC day)\n0 of 48 runs passed.')
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(overflow).toBeLessThanOrEqual(0)

    await page.tap('#title')
    expect(await page.isHidden('#tooltip')).toBe(true)
  })

  test('themes follow the OS until chosen; screenshots', async () => {
    publish(degradedWeek(), NOW)
    server.files.set('messages.json', JSON.stringify([{ date: '2026-06-13', type: 'incident', title: 'Node default-2 unreachable', text: 'The site is investigating.' }]))

    const light = await open(NOW)
    const background = (target: OpenedPage) => target.page.evaluate(() => getComputedStyle(document.body).backgroundColor)
    expect(await background(light)).toBe('rgb(248, 250, 252)')
    await light.page.screenshot({ path: saveScreenshotPath('page-light.png'), fullPage: true })

    const dark = await open(NOW, { colorScheme: 'dark' })
    expect(await background(dark)).toBe('rgb(11, 15, 25)')
    await dark.page.screenshot({ path: saveScreenshotPath('page-dark.png'), fullPage: true })

    // The button cycles system → light → dark and the choice survives a reload.
    await dark.page.click('#theme-toggle')
    expect(await dark.page.textContent('#theme-toggle')).toBe('Theme: light')
    expect(await background(dark)).toBe('rgb(248, 250, 252)')
    await dark.page.reload()
    await dark.page.waitForSelector('body[data-ready]')
    expect(await background(dark)).toBe('rgb(248, 250, 252)')
    await dark.page.click('#theme-toggle')
    await dark.page.click('#theme-toggle')
    expect(await dark.page.textContent('#theme-toggle')).toBe('Theme: system')
    expect(await background(dark)).toBe('rgb(11, 15, 25)')

    const phone = await open(NOW, { colorScheme: 'dark', viewport: { width: 375, height: 800 } })
    expect(await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0)
    await phone.page.screenshot({ path: saveScreenshotPath('page-phone-dark.png'), fullPage: true })
  })

  test('auto-refresh refetches with cache-busting', async () => {
    publish(degradedWeek(), NOW)
    const { page } = await open(NOW, { clock: 'installed', expectedFailures: /\/status\.json/ })
    expect(await page.getAttribute('body', 'data-ready')).toBe('1')
    expect(await page.getAttribute('#overall-badge', 'data-status')).toBe('partial_outage')

    const healed = generateLogs({ nodes: NODES, from: new Date('2026-06-13T00:00:00Z'), to: new Date('2026-06-13T12:30:00Z'), intervalMinutes: 30 })
    publish(healed, new Date('2026-06-13T12:40:00Z'))
    const before = server.requests.length
    await page.clock.runFor(61_000)
    await page.waitForSelector('body[data-ready="2"]')
    expect(await page.getAttribute('#overall-badge', 'data-status')).toBe('operational')
    const refetched = server.requests.slice(before).filter((url) => url.startsWith('/logs/'))
    expect(refetched).toHaveLength(9)
    expect(refetched.every((url) => /\?t=\d+$/.test(url))).toBe(true)
    expect(await page.$$eval('.card', (cards) => cards.length)).toBe(9)

    // A refresh that cannot read status.json keeps the node cards.
    server.files.set('status.json', { status: 503 })
    await page.clock.runFor(60_000)
    await page.waitForSelector('body[data-ready="3"]')
    expect(await page.$$eval('#nodes .card', (cards) => cards.length)).toBe(3)
    expect(await page.textContent('#page-problems')).toBe('Could not load status.json: HTTP 503. The node cards show the last known list.')

    // Unticking auto-refresh stops the reloads.
    await page.uncheck('#auto-refresh')
    const unchecked = server.requests.length
    await page.clock.runFor(120_000)
    expect(server.requests.length).toBe(unchecked)
  })

  test('noscript message without JavaScript', async () => {
    const context = await chromium.browser.newContext({ javaScriptEnabled: false })
    const page = await context.newPage()
    await page.goto(server.url)
    expect(await page.textContent('main')).toContain('This page needs JavaScript to read the health check logs.')
    await context.close()
  })

  test('300 nodes render one card each', async () => {
    const nodes = ['aggregator-1', ...Array.from({ length: 299 }, (_, index) => `node-${String(index + 1).padStart(3, '0')}`)]
    const logs = generateLogs({
      nodes,
      from: new Date('2026-06-09T00:00:00Z'),
      to: ROUND_END,
      intervalMinutes: 30,
      outcome: (time) => (time.getTime() === ROUND_END.getTime() ? { nodes: { 'node-007': 'failed' }, steps: { execute: 'failed' } } : {})
    })
    publish(logs, NOW, nodes)
    const page = await open(NOW)
    expect(await page.page.$$eval('#nodes .card', (cards) => cards.length)).toBe(300)
    expect(await page.page.getAttribute('.card[data-key="node_node-007"]', 'data-state')).toBe('failure')
    expect(await page.page.getAttribute('#overall-badge', 'data-status')).toBe('partial_outage')
    expect(await page.page.textContent('#overall-detail')).toBe('Run of 2026-06-13 12:00 UTC; failed: Execution, node-007.')
  })

  test('node logs load near the viewport', async () => {
    const nodes = ['aggregator-1', ...Array.from({ length: 59 }, (_, index) => `node-${String(index + 1).padStart(3, '0')}`)]
    const logs = generateLogs({
      nodes,
      from: new Date('2026-06-09T00:00:00Z'),
      to: ROUND_END,
      intervalMinutes: 30,
      outcome: (time) => (time.toISOString().startsWith('2026-06-10') ? { nodes: { 'node-050': 'failed' } } : {})
    })
    const status = publish(logs, NOW, nodes) as { components: { id: string; uptime: Record<string, { percent: number | null }> }[] }
    const page = await open(NOW)
    const nodeLogRequests = () => server.requests.filter((url) => url.startsWith('/logs/node_')).map((url) => url.replace(/\?t=\d+$/, ''))

    // Only the cards within one viewport height of the screen load their logs.
    const loaded = nodeLogRequests()
    expect(loaded.length).toBeGreaterThan(0)
    expect(loaded.length).toBeLessThan(20)
    expect(loaded).not.toContain('/logs/node_node-050_report.log')
    expect(server.requests.filter((url) => url.startsWith('/logs/') && !url.startsWith('/logs/node_'))).toHaveLength(6)

    // A far card shows its status.json summary with bars waiting for the log.
    const far = '.card[data-key="node_node-050"]'
    expect(await page.page.getAttribute(far, 'data-state')).toBe('success')
    expect(await page.page.getAttribute(far, 'data-uptime')).toBe(String(status.components.find((component) => component.id === 'node_node-050')!.uptime['7d']!.percent))
    expect((await barStates(page, 'node_node-050')).every((bar) => bar.state === 'pending')).toBe(true)
    expect(await page.page.getAttribute(`${far} .bar`, 'aria-label')).toBe('Loading: 2026-06-07 (UTC day)\nThe history loads when the card is shown.')

    // Scrolling it into view loads its log once and fills the bars from it.
    await page.page.locator(far).scrollIntoViewIfNeeded()
    await page.page.waitForSelector(`${far} .bar[data-state="failure"]`)
    expect(await barStates(page, 'node_node-050')).toEqual([
      { start: '2026-06-07', state: 'nodata' },
      { start: '2026-06-08', state: 'nodata' },
      { start: '2026-06-09', state: 'success' },
      { start: '2026-06-10', state: 'failure' },
      { start: '2026-06-11', state: 'success' },
      { start: '2026-06-12', state: 'success' },
      { start: '2026-06-13', state: 'success' }
    ])
    expect(nodeLogRequests().filter((url) => url === '/logs/node_node-050_report.log')).toHaveLength(1)
    expect(await page.page.textContent(`${far} .details`)).toContain('Average 120.00 s (passed runs)')

    // Keyboard focus on a far card's bar scrolls it into view, loads it and keeps the focus.
    await page.page.focus('.card[data-key="node_node-030"] .bar:last-child')
    await page.page.waitForSelector('.card[data-key="node_node-030"] .bar[data-state="success"]')
    expect(await page.page.evaluate(() => (document.activeElement as HTMLElement).closest('.card')?.getAttribute('data-key'))).toBe('node_node-030')
    expect(await page.page.textContent('#tooltip')).toBe('All passed: 2026-06-13 (UTC day)\n25 of 25 runs passed.\nAverage duration 120.0 s.')
    expect(await page.page.getAttribute('#overall-badge', 'data-status')).toBe('operational')
  })

  test('old status.json loads every node log', async () => {
    const logs = degradedWeek()
    serveLogs(server.files, logs)
    // A status.json without per-node runs (as older versions wrote) cannot stand in for the logs.
    server.files.set('status.json', JSON.stringify({ aggregator: 'aggregator-1', components: NODES.map((name) => ({ id: `node_${name}`, name, group: 'nodes' })) }))
    const page = await open(NOW)
    expect(server.requests.filter((url) => url.startsWith('/logs/node_'))).toHaveLength(3)
    expect(await page.page.getAttribute('#overall-badge', 'data-status')).toBe('partial_outage')
  })
})

test('page assets stay under 60 KB', () => {
  // Everything the browser loads before the first log: all files but the folder's README.
  const sizes = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((sum, entry) => {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) return sum + sizes(path)
      return entry.name.endsWith('.md') ? sum : sum + statSync(path).size
    }, 0)
  expect(sizes(TEMPLATE_DIR)).toBeLessThan(60 * 1024)
})
