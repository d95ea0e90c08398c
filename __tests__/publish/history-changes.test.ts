import { describe, expect, test } from '@jest/globals'

import { historyChangeSet, historyFilePath } from '../../src/publish/history-changes.js'

const LINES = new Map([
  ['login', '2026-12-04 10:30, success, 1.20'],
  ['node_default-1', '2026-12-04 10:30, failed, ']
])

describe('historyChangeSet', () => {
  test('paths follow the log folder', () => {
    const changeSet = historyChangeSet({ logDir: 'docs/logs/', lines: LINES, maxLines: 10 })

    expect(changeSet.paths).toEqual(['docs/logs/login_report.log', 'docs/logs/node_default-1_report.log'])
    expect(historyFilePath('docs/logs', 'latency')).toBe('docs/logs/latency_report.log')
  })

  test('appends to current content', () => {
    const changeSet = historyChangeSet({ logDir: 'docs/logs', lines: LINES, maxLines: 10 })

    const files = changeSet.build(
      new Map([
        ['docs/logs/login_report.log', '2026-12-04 10:00, success, 1.00\n'],
        ['docs/logs/node_default-1_report.log', null]
      ])
    )

    expect(files.get('docs/logs/login_report.log')).toBe(
      '2026-12-04 10:00, success, 1.00\n2026-12-04 10:30, success, 1.20\n'
    )
    expect(files.get('docs/logs/node_default-1_report.log')).toBe('2026-12-04 10:30, failed, \n')
  })

  test('rotates at max lines', () => {
    const changeSet = historyChangeSet({ logDir: 'docs/logs', lines: new Map([['login', 'new']]), maxLines: 3 })

    const files = changeSet.build(new Map([['docs/logs/login_report.log', 'a\nb\nc\n']]))

    expect(files.get('docs/logs/login_report.log')).toBe('b\nc\nnew\n')
  })

  test('build is pure', () => {
    const changeSet = historyChangeSet({ logDir: 'docs/logs', lines: LINES, maxLines: 10 })
    const current = new Map([['docs/logs/login_report.log', 'x\n']])

    const first = changeSet.build(current)
    const second = changeSet.build(current)

    expect(second).toEqual(first)
    expect(current.get('docs/logs/login_report.log')).toBe('x\n')
  })

  test.each(['', '/abs/logs', '../logs', 'docs/../../x'])('log folder %j is rejected', (logDir) => {
    expect(() => historyChangeSet({ logDir, lines: LINES, maxLines: 10 })).toThrow(`Log folder '${logDir}' is invalid`)
  })

  test('max lines below 1 is rejected', () => {
    expect(() => historyChangeSet({ logDir: 'docs/logs', lines: LINES, maxLines: 0 })).toThrow(
      'maxLines must be a whole number of at least 1, got 0.'
    )
  })
})
