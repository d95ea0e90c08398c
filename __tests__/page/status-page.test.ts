// The status page's ChangeSets and their workspace writer (used when the action does not commit).

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals'

import { readSettings, SettingsError } from '../../src/inputs.js'
import { statusPageChangeSets, writeChangeSetsToWorkspace } from '../../src/publish/status-page.js'
import { generateLogs } from './harness.js'

const NODES = ['aggregator-1', 'default-1', 'default-2']
const OPTIONS = { logDir: 'docs/logs', nodes: NODES, aggregator: 'aggregator-1', latencyLimitSeconds: 600, now: Date.parse('2026-06-13T12:10:00Z') }

let workspace: string

beforeEach(() => {
  workspace = mkdtempSync(join(tmpdir(), 'status-page-'))
  mkdirSync(join(workspace, 'docs', 'logs'), { recursive: true })
  const logs = generateLogs({ nodes: NODES, from: new Date('2026-06-13T00:00:00Z'), to: new Date('2026-06-13T12:00:00Z'), intervalMinutes: 30 })
  for (const [key, content] of logs) writeFileSync(join(workspace, 'docs', 'logs', `${key}_report.log`), content)
})

afterEach(() => {
  rmSync(workspace, { recursive: true, force: true })
})

describe('status page files', () => {
  test('auto writes artifacts and template', async () => {
    writeFileSync(join(workspace, 'docs', 'config.js'), 'export default { title: "mine" }\n')
    const written = await writeChangeSetsToWorkspace(workspace, statusPageChangeSets({ ...OPTIONS, mode: 'auto' }))

    expect(written).toContain('docs/status.json')
    expect(written).toContain('docs/badges/node-default-2.svg')
    expect(written).toContain('docs/index.html')
    expect(written).toContain('docs/js/main.js')
    expect(written).not.toContain('docs/config.js')
    expect(readFileSync(join(workspace, 'docs', 'config.js'), 'utf8')).toBe('export default { title: "mine" }\n')
    expect(JSON.parse(readFileSync(join(workspace, 'docs', 'status.json'), 'utf8')).overall).toBe('operational')
    expect(written.some((path) => path.startsWith('docs/logs/'))).toBe(false)
  })

  test('off writes artifacts only', async () => {
    const written = await writeChangeSetsToWorkspace(workspace, statusPageChangeSets({ ...OPTIONS, mode: 'off' }))
    expect(written).toContain('docs/status.json')
    expect(existsSync(join(workspace, 'docs', 'index.html'))).toBe(false)
  })

  test('second run rewrites nothing unchanged', async () => {
    await writeChangeSetsToWorkspace(workspace, statusPageChangeSets({ ...OPTIONS, mode: 'auto' }))
    const again = await writeChangeSetsToWorkspace(workspace, statusPageChangeSets({ ...OPTIONS, mode: 'auto' }))
    expect(again).toEqual([])
  })

  test('custom log folder puts the page beside it', async () => {
    const written = await writeChangeSetsToWorkspace(workspace, statusPageChangeSets({ ...OPTIONS, logDir: 'status/logs', mode: 'auto' }))
    expect(written).toContain('status/status.json')
    expect(written).toContain('status/index.html')
    expect(JSON.parse(readFileSync(join(workspace, 'status', 'status.json'), 'utf8')).overall).toBe('no_data')
  })
})

describe('status-page input', () => {
  const inputs: Record<string, string> = {
    username: 'health-bot',
    password: 'not-a-real-password',
    'auth-url': 'http://127.0.0.1:9/auth',
    'core-url': 'http://127.0.0.1:9/core',
    'storage-url': 'http://127.0.0.1:9/storage',
    commit: 'false'
  }
  const read = (statusPage: string) => {
    // core.setSecret prints an add-mask command; keep the test output readable.
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
    try {
      return readSettings({ getInput: (name) => (name === 'status-page' ? statusPage : (inputs[name] ?? '')), workspace })
    } finally {
      write.mockRestore()
    }
  }

  test('defaults to auto', () => {
    expect(read('').statusPage).toBe('auto')
    expect(read(' off ').statusPage).toBe('off')
  })

  test('rejects other values', () => {
    let problems: string[] = []
    try {
      read('always')
    } catch (error) {
      if (error instanceof SettingsError) problems = error.problems
    }
    expect(problems).toEqual(["Input 'status-page' must be one of 'auto', 'off', got 'always'."])
  })
})
