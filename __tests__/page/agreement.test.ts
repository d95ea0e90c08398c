// The page's plain-JS rules against the action's TypeScript: same line parser, same round,
// same overall status, same uptime, on generated logs and on the predecessor's real logs.

import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, test } from '@jest/globals'

import { parseLine, parseLog } from '../../src/history/format.js'
import { buildStatusSummary, UPTIME_WINDOWS } from '../../src/publish/status-artifacts.js'
import { generateLogs, PREDECESSOR_LOGS, type RoundOutcome } from './harness.js'

// The page's module is plain JavaScript without types; describe what the test uses.
interface PageRules {
  parseLine(line: string): { time: number; status: string; seconds: number | null } | null
  parseLog(text: string): { entries: { time: number; status: string; seconds: number | null }[]; invalid: number[] }
  parseLogSince(text: string, since: number): { entries: { time: number; status: string; seconds: number | null }[]; invalid: number[]; complete: boolean }
  latestRound(entriesByKey: Map<string, unknown[]>, nodes: string[], aggregator: string | null, now: number, lookbackMinutes: number): { statuses: unknown } | null
  overallStatus(round: unknown): string
  summarise(key: string, entries: unknown[], view: string, now: number, limit: number): { uptime: number | null; checked: number; noData: number }
}
// Imported by URL so TypeScript does not look for declarations of the plain-JS file.
const rulesUrl = new URL('../../docs-template/js/rules.js', import.meta.url).href
const rules = (await import(rulesUrl)) as PageRules

const NODES = ['aggregator-1', 'default-1', 'default-2']

function pageStatusOf(logs: Map<string, string | null>, nodes: string[], aggregator: string | null, now: number, lookback = 60): string {
  const entriesByKey = new Map([...logs].map(([key, content]) => [key, rules.parseLog(content ?? '').entries as unknown[]]))
  const round = rules.latestRound(entriesByKey, nodes, aggregator, now, lookback)
  return round === null ? 'no_data' : rules.overallStatus(round.statuses)
}

function actionStatusOf(logs: Map<string, string | null>, nodes: string[], aggregator: string | null, now: number, lookback = 60): string {
  return buildStatusSummary(logs, { logDir: 'docs/logs', nodes, aggregator, now, lookbackMinutes: lookback }).status
}

/** A small deterministic generator, so the case table is the same on every run. */
function random(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648
    return state / 2147483648
  }
}

const STATUSES = ['success', 'failed', 'unknown'] as const

describe('page rules agree with the action', () => {
  test('line parser on valid and broken lines', () => {
    const lines = [
      '2026-06-11 13:56, success, 1.23',
      '2026-06-19 13:02, failed, ',
      '2026-06-19 13:02, failed,',
      '2026-06-19 13:02, failure, 3.00',
      '2026-06-19 13:02, weird, 3.00',
      '2026-06-19 13:02, success, -1.5\r',
      '2026-02-30 10:00, success, 1.00',
      '2026-06-19 25:00, success, 1.00',
      '2026-13-01 00:00, success, 1.00',
      '2026-06-19 13:60, success, 1.00',
      '2026-06-19 24:00, success, 1.00',
      '2026-06-19T13:02, success, 1.00',
      '2026-06-19 13:02 success 1.00',
      '<script>alert(1)</script>',
      '',
      '2026-06-19 13:02, SUCCESS, 1.00',
      '2026-06-19 13:02, success, -0',
      '2026-06-19 13:02, success, 0.1',
      '2026-06-19 13:02, success, 1234567890.123456789',
      '2026-06-19 13:02, success, 1.',
      '2026-06-19 13:02, success, .5',
      '2026-06-19 13:02, success, 1.2.3',
      '2026-06-19 13:02, success, -',
      '2026-06-19 13:02, failed,  5',
      '2026-06-19 13:02, failed,5',
      '2026-06-19 13:02, failed',
      '2026-06-19 13:02, , 1.00',
      '2026-06-19 13:02, success, 1.00\r\r',
      ' 2026-06-19 13:02, success, 1.00',
      '2024-02-29 00:00, success, 1.00',
      '2100-02-29 00:00, success, 1.00',
      '0000-02-29 00:00, success, 1.00',
      '0004-02-29 00:00, success, 1.00',
      '2026-00-10 00:00, success, 1.00',
      '2026-06-00 00:00, success, 1.00',
      '2026-04-31 00:00, success, 1.00'
    ]
    for (const line of lines) {
      const action = parseLine(line)
      const page = rules.parseLine(line)
      expect({ line, page: page && { ...page } }).toEqual({
        line,
        page: action ? { time: action.timestamp.getTime(), status: action.status, seconds: action.seconds } : null
      })
    }
  })

  test('tail parse matches the full parse', () => {
    const logs = generateLogs({ nodes: NODES, from: new Date('2026-05-01T00:00:00Z'), to: new Date('2026-06-13T12:00:00Z'), intervalMinutes: 30 })
    const text = `${logs.get('login')}not a line\n\n2026-06-13 12:30, failure, 2.00`
    const full = rules.parseLog(text)
    for (const since of [Date.parse('2026-06-13T00:00:00Z'), Date.parse('2026-06-07T00:00:00Z'), Date.parse('2026-05-15T00:00:00Z'), 0]) {
      const tail = rules.parseLogSince(text, since)
      const inWindow = (entries: { time: number }[]) => entries.filter((entry) => entry.time >= since)
      expect({ since, entries: inWindow(tail.entries) }).toEqual({ since, entries: inWindow(full.entries) })
      expect({ since, invalid: tail.invalid }).toEqual({ since, invalid: full.invalid })
      // The newest line before the window is kept, so the latest run is known from the tail alone.
      expect({ since, complete: tail.complete }).toEqual({ since, complete: since === 0 })
      if (since > 0) expect(tail.entries[0]!.time).toBeLessThan(since)
    }
    expect(rules.parseLogSince('', 0)).toEqual({ entries: [], invalid: [], complete: true })
    expect(rules.parseLogSince('x\n2026-06-13 12:00, success, 1.00', Date.parse('2026-06-14T00:00:00Z'))).toEqual({
      entries: [{ time: Date.parse('2026-06-13T12:00:00Z'), status: 'success', seconds: 1 }],
      invalid: [],
      complete: false
    })
  })

  test('predecessor logs: parse and status', () => {
    const logs = new Map<string, string>()
    for (const file of readdirSync(PREDECESSOR_LOGS).filter((name) => name.endsWith('_report.log'))) {
      logs.set(file.replace(/_report\.log$/, ''), readFileSync(join(PREDECESSOR_LOGS, file), 'utf8'))
    }
    expect(logs.size).toBe(3)

    for (const [key, content] of logs) {
      const action = parseLog(content)
      const page = rules.parseLog(content)
      expect({ key, count: page.entries.length, invalid: page.invalid }).toEqual({
        key,
        count: action.entries.length,
        invalid: action.invalid.map((line) => line.line)
      })
    }

    // Times inside the logs' range (the step logs end 2026-06-13, the node log 2026-08-20).
    const times = ['2026-06-11T14:00:00Z', '2026-06-12T09:40:00Z', '2026-06-13T23:00:00Z', '2026-06-18T10:20:00Z', '2026-07-01T00:00:00Z', '2026-08-04T12:00:00Z', '2026-08-20T23:59:00Z']
    for (const time of times) {
      const now = Date.parse(time)
      for (const lookback of [45, 60, 24 * 60]) {
        expect({ time, lookback, page: pageStatusOf(logs, ['aggregator-1'], 'aggregator-1', now, lookback) }).toEqual({
          time,
          lookback,
          page: actionStatusOf(logs, ['aggregator-1'], 'aggregator-1', now, lookback)
        })
      }
    }
  })

  test('random rounds: status and uptime', () => {
    const next = random(42)
    const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!
    const seen = new Set<string>()
    const pickSteps = (draw: number): RoundOutcome['steps'] => {
      if (draw < 0.5) return {}
      if (draw < 0.65) return { latency: 'failed' }
      return { login: pick(STATUSES), execute: pick(STATUSES), latency: pick(STATUSES) }
    }

    for (let round = 0; round < 200; round++) {
      const to = new Date(Date.UTC(2026, 5, 13, 12, 0))
      const logs = generateLogs({
        nodes: NODES,
        from: new Date(to.getTime() - 3 * 60 * 60_000),
        to,
        intervalMinutes: 30,
        outcome: (): RoundOutcome => ({
          steps: pickSteps(next()),
          nodes: next() < 0.5 ? {} : { 'aggregator-1': pick(STATUSES), 'default-1': pick(STATUSES), 'default-2': pick(STATUSES) },
          latencySeconds: next() < 0.2 ? 700 : 100
        })
      })
      // Drop some files entirely or corrupt a line, as a broken deployment would.
      const withGaps = new Map<string, string | null>(logs)
      if (next() < 0.2) withGaps.set(pick([...logs.keys()]), null)
      if (next() < 0.2) withGaps.set('login', `${logs.get('login')}garbage line\n`)

      const now = to.getTime() + Math.floor(next() * 120) * 60_000
      const aggregator = next() < 0.8 ? 'aggregator-1' : null
      const page = pageStatusOf(withGaps, NODES, aggregator, now)
      const action = actionStatusOf(withGaps, NODES, aggregator, now)
      expect({ round, page }).toEqual({ round, page: action })
      seen.add(action)

      const summary = buildStatusSummary(withGaps, { logDir: 'docs/logs', nodes: NODES, aggregator, now })
      for (const component of summary.components) {
        const entries = rules.parseLog(withGaps.get(component.id) ?? '').entries
        for (const window of UPTIME_WINDOWS) {
          const figure = rules.summarise(component.id, entries, window, now, 600)
          expect({ key: component.id, window, uptime: figure.uptime, checked: figure.checked, noData: figure.noData }).toEqual({
            key: component.id,
            window,
            uptime: component.uptime[window].percent,
            checked: component.uptime[window].checked,
            noData: component.uptime[window].noData
          })
        }
      }
    }
    // The table must exercise every outcome, or agreement proves little.
    expect([...seen].sort()).toEqual(['degraded', 'major_outage', 'no_data', 'operational', 'partial_outage'])
  })
})
