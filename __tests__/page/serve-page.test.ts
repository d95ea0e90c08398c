// The demo's static server: lookup order over its folders, 404s and path traversal.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, expect, test } from '@jest/globals'

import { servePage, type PageServer } from '../../simulator/serve-page.js'

let dir: string
let server: PageServer

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'serve-page-'))
  mkdirSync(join(dir, 'docs', 'logs'), { recursive: true })
  mkdirSync(join(dir, 'template'))
  writeFileSync(join(dir, 'docs', 'logs', 'login_report.log'), '2026-06-13 12:00, success, 1.00\n')
  writeFileSync(join(dir, 'docs', 'config.js'), 'workspace\n')
  writeFileSync(join(dir, 'template', 'config.js'), 'template\n')
  writeFileSync(join(dir, 'template', 'index.html'), '<!doctype html>\n')
  writeFileSync(join(dir, 'secret.txt'), 'outside\n')
  server = await servePage([join(dir, 'docs'), join(dir, 'template')])
})

afterAll(async () => {
  await server.stop()
  rmSync(dir, { recursive: true, force: true })
})

test('serves on 127.0.0.1', () => {
  expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
})

test('first folder wins, then fallback', async () => {
  expect(await (await fetch(`${server.url}config.js`)).text()).toBe('workspace\n')
  const index = await fetch(server.url)
  expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8')
  expect(await index.text()).toBe('<!doctype html>\n')
  expect(await (await fetch(`${server.url}logs/login_report.log?t=1`)).text()).toBe('2026-06-13 12:00, success, 1.00\n')
})

test('missing file and traversal are 404', async () => {
  expect((await fetch(`${server.url}logs/none_report.log`)).status).toBe(404)
  expect((await fetch(`${server.url}..%2Fsecret.txt`)).status).toBe(404)
  expect((await fetch(`${server.url}%2e%2e/%2e%2e/secret.txt`)).status).toBe(404)
})
