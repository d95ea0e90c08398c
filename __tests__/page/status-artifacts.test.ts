// status.json, badges and shields endpoint files from logs; the ChangeSets that publish them
// and the page template.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { describe, expect, test } from '@jest/globals'

import { appendLines, formatLine } from '../../src/history/format.js'
import type { ChangeSet } from '../../src/publish/changeset.js'
import {
  artifactPaths,
  artifactRoot,
  buildStatusFiles,
  buildStatusSummary,
  latestRound,
  statusArtifactsChangeSet,
  withStatusArtifacts
} from '../../src/publish/status-artifacts.js'
import { findTemplateDir, readTemplateFiles, templateChangeSet } from '../../src/publish/template.js'
import { generateLogs, TEMPLATE_DIR } from './harness.js'

const NODES = ['aggregator-1', 'default-1', 'default-2']
const OPTIONS = { logDir: 'docs/logs', nodes: NODES, aggregator: 'aggregator-1' }
const ROUND_END = new Date('2026-06-13T12:00:00Z')
const NOW = Date.parse('2026-06-13T12:10:00Z')

function healthyLogs(): Map<string, string | null> {
  return generateLogs({ nodes: NODES, from: new Date('2026-06-01T00:00:00Z'), to: ROUND_END, intervalMinutes: 30 })
}

describe('status summary', () => {
  test('healthy logs are operational', () => {
    const summary = buildStatusSummary(healthyLogs(), { ...OPTIONS, now: NOW })
    expect(summary.status).toBe('operational')
    expect(summary.lastRunAt).toBe('2026-06-13T12:00:00.000Z')
    expect(summary.components.map((component) => component.status)).toEqual(Array(9).fill('operational'))
  })

  test('no round in the lookback window is no_data', () => {
    const summary = buildStatusSummary(healthyLogs(), { ...OPTIONS, now: Date.parse('2026-06-13T13:01:00Z') })
    expect(summary.status).toBe('no_data')
    expect(summary.lastRunAt).toBeNull()
  })

  test('setup failure is major, never operational', () => {
    const logs = generateLogs({
      nodes: NODES,
      from: ROUND_END,
      to: ROUND_END,
      intervalMinutes: 30,
      outcome: () => ({
        steps: { upload: 'failed', distribute: 'unknown', execute: 'unknown', results: 'unknown', latency: 'unknown' },
        nodes: { 'aggregator-1': 'failed', 'default-1': 'unknown', 'default-2': 'unknown' }
      })
    })
    const summary = buildStatusSummary(logs, { ...OPTIONS, now: NOW })
    expect(summary.status).toBe('major_outage')
    expect(summary.components.find((component) => component.id === 'upload')?.status).toBe('major_outage')
    expect(summary.components.find((component) => component.id === 'node_default-1')?.status).toBe('partial_outage')
  })

  test('one node down is partial, slow latency degraded', () => {
    const oneDown = generateLogs({ nodes: NODES, from: ROUND_END, to: ROUND_END, intervalMinutes: 30, outcome: () => ({ steps: { execute: 'failed' }, nodes: { 'default-2': 'failed' } }) })
    expect(buildStatusSummary(oneDown, { ...OPTIONS, now: NOW }).status).toBe('partial_outage')

    const slow = generateLogs({ nodes: NODES, from: ROUND_END, to: ROUND_END, intervalMinutes: 30, outcome: () => ({ steps: { latency: 'failed' }, latencySeconds: 650 }) })
    const summary = buildStatusSummary(slow, { ...OPTIONS, now: NOW })
    expect(summary.status).toBe('degraded')
    expect(summary.components.find((component) => component.id === 'latency')?.status).toBe('degraded_performance')
  })

  test('uptime windows are UTC hours and days', () => {
    // One failed round at 2026-06-12 23:30 and one at 11:30. The 24-hour window starts at
    // 2026-06-12 13:00 (23 whole hours before the current one): 47 runs, only the first failure.
    const logs = generateLogs({
      nodes: NODES,
      from: new Date('2026-06-01T00:00:00Z'),
      to: ROUND_END,
      intervalMinutes: 30,
      outcome: (time) => (time.toISOString().endsWith('23:30:00.000Z') && time.getUTCDate() === 12) || time.toISOString() === '2026-06-12T11:30:00.000Z' ? { steps: { login: 'failed' } } : {}
    })
    const login = buildStatusSummary(logs, { ...OPTIONS, now: NOW }).components[0]!
    expect(login.uptime['24h']).toEqual({ percent: Math.round((46 / 47) * 10_000) / 100, checked: 47, noData: 0 })
    expect(login.uptime['7d'].checked).toBe(6 * 48 + 25)
    expect(login.uptime['7d'].percent).toBe(Math.round(((6 * 48 + 25 - 2) / (6 * 48 + 25)) * 10_000) / 100)
  })

  test('latest round excludes nodes without a line', () => {
    const logs = generateLogs({ nodes: ['aggregator-1', 'default-1'], from: ROUND_END, to: ROUND_END, intervalMinutes: 30 })
    const entries = new Map([...logs].map(([key, content]) => [key, content.split('\n').filter(Boolean).map((line) => ({
      timestamp: new Date(`${line.slice(0, 10)}T${line.slice(11, 16)}:00Z`),
      status: 'success' as const,
      seconds: 1
    }))]))
    const round = latestRound(entries, NODES, 'aggregator-1', NOW, 60)
    expect(Object.keys(round?.statuses.nodes ?? {})).toEqual(['aggregator-1', 'default-1'])
  })
})

describe('status files', () => {
  test('paths, Statuspage shape and badges', () => {
    const files = buildStatusFiles(healthyLogs(), { ...OPTIONS, now: NOW, title: 'FLAME <Hub>' })
    expect([...files.keys()].sort()).toEqual([
      'docs/badges/node-aggregator-1.json',
      'docs/badges/node-aggregator-1.svg',
      'docs/badges/node-default-1.json',
      'docs/badges/node-default-1.svg',
      'docs/badges/node-default-2.json',
      'docs/badges/node-default-2.svg',
      'docs/badges/overall.json',
      'docs/badges/overall.svg',
      'docs/status.json'
    ])

    const status = JSON.parse(files.get('docs/status.json')!)
    expect(status.page).toEqual({ id: 'flame-status', name: 'FLAME <Hub>', updated_at: '2026-06-13T12:10:00.000Z' })
    expect(status.status).toEqual({ indicator: 'none', description: 'All Systems Operational' })
    expect(status.components).toHaveLength(9)
    expect(status.components[6]).toMatchObject({ id: 'node_aggregator-1', name: 'aggregator-1', group: 'nodes', status: 'operational', position: 7 })
    expect(status.components[0].uptime['24h']).toEqual({ percent: 100, checked: 47, no_data: 0 })

    const overall = files.get('docs/badges/overall.svg')!
    expect(overall).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/)
    expect(overall).toContain('operational')
    expect(overall).toContain('FLAME &lt;Hub&gt;')
    expect(overall).not.toContain('<Hub>')
    expect(JSON.parse(files.get('docs/badges/node-default-1.json')!)).toEqual({ schemaVersion: 1, label: 'default-1', message: 'up', color: 'brightgreen' })
  })

  test('artifact paths list every file', () => {
    const files = buildStatusFiles(healthyLogs(), { ...OPTIONS, now: NOW })
    expect(artifactPaths('docs/logs', NODES).sort()).toEqual([...files.keys()].sort())
  })

  test('node names with odd characters stay in badges/', () => {
    const files = buildStatusFiles(new Map(), { logDir: 'docs/logs', nodes: ['../etc/x y'], aggregator: null, now: NOW })
    expect([...files.keys()]).toContain('docs/badges/node-.._etc_x_y.svg')
    expect(JSON.parse(files.get('docs/status.json')!).overall).toBe('no_data')
  })

  test('artifact root is the log directory parent', () => {
    expect(artifactRoot('docs/logs')).toBe('docs')
    expect(artifactRoot('status/history/logs/')).toBe('status/history')
    expect(artifactRoot('logs')).toBe('.')
  })
})

describe('changesets', () => {
  const line = formatLine({ timestamp: new Date('2026-06-13T12:30:00Z'), status: 'failed', seconds: null })
  const history: ChangeSet = {
    paths: ['docs/logs/login_report.log'],
    build: (current) => new Map([['docs/logs/login_report.log', appendLines(current.get('docs/logs/login_report.log') ?? null, [line], 2000)]])
  }

  test('artifacts follow the fresh logs on every build', () => {
    const changeSet = withStatusArtifacts(history, { ...OPTIONS, now: Date.parse('2026-06-13T12:40:00Z') })
    expect(changeSet.paths).toContain('docs/logs/login_report.log')
    expect(changeSet.paths).toContain('docs/logs/node_default-2_report.log')

    const logs = healthyLogs()
    const current = new Map<string, string | null>([...logs].map(([key, content]) => [`docs/logs/${key}_report.log`, content]))
    const first = changeSet.build(current)
    expect(first.get('docs/logs/login_report.log')!.endsWith(`${line}\n`)).toBe(true)
    expect(JSON.parse(first.get('docs/status.json')!).overall).toBe('major_outage')

    // A retry on contents where a concurrent run already logged a newer healthy round.
    const newer = new Map(current)
    for (const [path, content] of current) {
      const status = 'success'
      newer.set(path, `${content}${formatLine({ timestamp: new Date('2026-06-13T12:35:00Z'), status, seconds: 1 })}\n`)
    }
    const second = changeSet.build(newer)
    expect(second.get('docs/logs/login_report.log')!.endsWith(`${line}\n`)).toBe(true)
    expect(JSON.parse(second.get('docs/status.json')!).overall).toBe('operational')
  })

  test('artifacts alone read the head logs', () => {
    const changeSet = statusArtifactsChangeSet({ ...OPTIONS, now: NOW })
    const current = new Map<string, string | null>(changeSet.paths.map((path) => [path, null]))
    const files = changeSet.build(current)
    expect([...files.keys()].some((path) => path.startsWith('docs/logs/'))).toBe(false)
    expect(JSON.parse(files.get('docs/status.json')!).overall).toBe('no_data')
  })
})

describe('template', () => {
  test('found from src/ and from dist/', () => {
    expect(findTemplateDir()).toBe(TEMPLATE_DIR)
    expect(findTemplateDir(new URL('../../dist/index.js', import.meta.url).href)).toBe(TEMPLATE_DIR)
  })

  test('missing template names both places', () => {
    expect(() => findTemplateDir('file:///nonexistent/dist/index.js')).toThrow(/Status page template not found.*status-page: off/)
  })

  test('adds missing files, keeps existing ones', () => {
    const changeSet = templateChangeSet('auto', 'docs')!
    expect(changeSet.paths).toEqual(expect.arrayContaining(['docs/index.html', 'docs/config.js', 'docs/js/main.js', 'docs/messages.json']))
    expect(changeSet.paths.some((path) => path.startsWith('docs/logs/'))).toBe(false)

    const current = new Map<string, string | null>(changeSet.paths.map((path) => [path, null]))
    current.set('docs/config.js', 'export default { title: "mine" }\n')
    const files = changeSet.build(current)
    expect(files.has('docs/config.js')).toBe(false)
    expect(files.get('docs/index.html')).toBe(readFileSync(join(TEMPLATE_DIR, 'index.html'), 'utf8'))
    expect(files.size).toBe(changeSet.paths.length - 1)
  })

  test('off adds nothing', () => {
    expect(templateChangeSet('off')).toBeNull()
  })

  test('reads nested folders with forward slashes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'template-'))
    try {
      writeFileSync(join(dir, 'index.html'), 'x')
      const files = readTemplateFiles(TEMPLATE_DIR)
      expect([...files.keys()]).toContain('js/rules.js')
      expect(readTemplateFiles(dir)).toEqual(new Map([['index.html', 'x']]))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
