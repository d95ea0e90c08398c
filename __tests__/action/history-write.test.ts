import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import {
  historyKeys,
  HistoryReadError,
  logPath,
  roundLines,
  roundTimestamp,
  writeHistory
} from '../../src/history/write.js'
import { mergeRound } from '../../src/verdict/merge.js'
import { failedPair, NODES, passedPair, ROUND_START, roundRecord } from './fixtures.js'

const PREDECESSOR_LOGS = fileURLToPath(new URL('./data/predecessor-logs', import.meta.url))

let logDir: string
let warnings: string[]

beforeEach(() => {
  logDir = path.join(mkdtempSync(path.join(tmpdir(), 'history-')), 'docs', 'logs')
  warnings = []
})

afterEach(() => {
  rmSync(path.dirname(path.dirname(logDir)), { recursive: true, force: true })
})

function healthyLines(): Map<string, string> {
  return roundLines(mergeRound(roundRecord([passedPair('default-1'), passedPair('default-2')]), NODES), ROUND_START)
}

describe('roundLines', () => {
  it('orders the nine keys', () => {
    expect([...healthyLines().keys()]).toEqual(historyKeys(NODES))
    expect(historyKeys(NODES)).toEqual([
      'login',
      'upload',
      'distribute',
      'execute',
      'results',
      'latency',
      'node_aggregator-1',
      'node_default-1',
      'node_default-2'
    ])
  })

  it('uses the round start minute', () => {
    const lines = [...healthyLines().values()]

    expect(lines.every((line) => line.startsWith('2026-12-04 10:31, '))).toBe(true)
    expect(roundTimestamp(ROUND_START).toISOString()).toBe('2026-12-04T10:31:00.000Z')
  })

  it('formats statuses and durations', () => {
    const record = roundRecord([passedPair('default-1'), failedPair('default-2', 'execute', 'stopped')])

    const lines = roundLines(mergeRound(record, NODES), ROUND_START)

    expect(lines.get('login')).toBe('2026-12-04 10:31, success, 0.42')
    expect(lines.get('execute')).toBe('2026-12-04 10:31, failed, 20.00')
    expect(lines.get('node_default-1')).toBe('2026-12-04 10:31, success, 64.00')
    expect(lines.get('node_default-2')).toBe('2026-12-04 10:31, failed, ')
  })
})

describe('writeHistory', () => {
  it('appends to predecessor logs unchanged', async () => {
    mkdirSync(logDir, { recursive: true })
    const names = ['login_report.log', 'latency_report.log', 'node_aggregator-1_report.log']
    for (const name of names) copyFileSync(path.join(PREDECESSOR_LOGS, name), path.join(logDir, name))
    const lines = healthyLines()

    await writeHistory({ logDir, lines, maxLines: 2000, warning: (message) => warnings.push(message) })

    for (const name of names) {
      const before = readFileSync(path.join(PREDECESSOR_LOGS, name))
      const after = readFileSync(path.join(logDir, name))
      const key = name.replace(/_report\.log$/, '')
      expect(after.subarray(0, before.length).equals(before)).toBe(true)
      expect(after.subarray(before.length).toString('utf8')).toBe(`${lines.get(key)}\n`)
    }
    expect(warnings).toEqual([])
  })

  it('creates the folder and nine files', async () => {
    const written = await writeHistory({ logDir, lines: healthyLines(), maxLines: 2000, warning: () => undefined })

    expect(written).toHaveLength(9)
    expect(readdirSync(logDir).sort()).toEqual(historyKeys(NODES).map((key) => `${key}_report.log`).sort())
    expect(readFileSync(logPath(logDir, 'upload'), 'utf8')).toBe('2026-12-04 10:31, success, 3.00\n')
  })

  it('rotates to max lines', async () => {
    mkdirSync(logDir, { recursive: true })
    copyFileSync(path.join(PREDECESSOR_LOGS, 'login_report.log'), logPath(logDir, 'login'))
    const original = readFileSync(logPath(logDir, 'login'), 'utf8').split('\n').slice(0, -1)

    const written = await writeHistory({
      logDir,
      lines: new Map([['login', '2026-12-04 10:31, success, 0.42']]),
      maxLines: 100,
      warning: () => undefined
    })

    const after = readFileSync(logPath(logDir, 'login'), 'utf8').split('\n').slice(0, -1)
    expect(after).toHaveLength(100)
    expect(after.slice(0, 99)).toEqual(original.slice(-99))
    expect(after[99]).toBe('2026-12-04 10:31, success, 0.42')
    expect(written[0]!.lineCount).toBe(100)
  })

  it('keeps and warns about invalid lines', async () => {
    mkdirSync(logDir, { recursive: true })
    const existing = '2026-12-04 10:01, success, 1.00\nnot a history line\n2026-13-40 99:99, success, 1\n'
    writeFileSync(logPath(logDir, 'login'), existing)

    await writeHistory({
      logDir,
      lines: new Map([['login', '2026-12-04 10:31, success, 0.42']]),
      maxLines: 2000,
      warning: (message) => warnings.push(message)
    })

    expect(readFileSync(logPath(logDir, 'login'), 'utf8')).toBe(`${existing}2026-12-04 10:31, success, 0.42\n`)
    expect(warnings).toEqual([
      `${logPath(logDir, 'login')} line 2 is not a history line and was kept as is: "not a history line"`,
      `${logPath(logDir, 'login')} line 3 is not a history line and was kept as is: "2026-13-40 99:99, success, 1"`
    ])
  })

  it('limits warnings per file', async () => {
    mkdirSync(logDir, { recursive: true })
    writeFileSync(logPath(logDir, 'login'), 'x\n'.repeat(10))

    await writeHistory({
      logDir,
      lines: new Map([['login', '2026-12-04 10:31, success, 0.42']]),
      maxLines: 2000,
      warning: (message) => warnings.push(message)
    })

    expect(warnings).toHaveLength(4)
    expect(warnings[3]).toBe(`${logPath(logDir, 'login')} has 7 more lines that are not history lines (kept as is).`)
  })

  it('adds a missing final newline', async () => {
    mkdirSync(logDir, { recursive: true })
    writeFileSync(logPath(logDir, 'login'), '2026-12-04 10:01, success, 1.00')

    await writeHistory({
      logDir,
      lines: new Map([['login', '2026-12-04 10:31, failed, ']]),
      maxLines: 2000,
      warning: () => undefined
    })

    expect(readFileSync(logPath(logDir, 'login'), 'utf8')).toBe(
      '2026-12-04 10:01, success, 1.00\n2026-12-04 10:31, failed, \n'
    )
  })

  it('rejects an unreadable log before writing', async () => {
    mkdirSync(logPath(logDir, 'upload'), { recursive: true })

    const attempt = writeHistory({ logDir, lines: healthyLines(), maxLines: 2000, warning: () => undefined })

    await expect(attempt).rejects.toThrow(HistoryReadError)
    await expect(attempt).rejects.toThrow(
      `Cannot read the history file '${logPath(logDir, 'upload')}' (EISDIR). Fix its permissions or remove it; ` +
        'no history line was written.'
    )
    expect(readdirSync(logDir)).toEqual(['upload_report.log'])
  })

  it('leaves no temp files', async () => {
    await writeHistory({ logDir, lines: healthyLines(), maxLines: 2000, warning: () => undefined })

    expect(readdirSync(logDir).filter((name) => name.endsWith('.tmp'))).toEqual([])
  })
})
