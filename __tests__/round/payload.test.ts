import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, describe, expect, it } from '@jest/globals'
import { create } from 'tar'

import { StepFailure } from '../../src/round/failure.js'
import { checkPayload, findPayload, readTarFiles, verifyResultTar } from '../../src/round/payload.js'
import { buildTar, payloadJson } from './support/tar-builder.js'

const pair = { aggregator: { name: 'aggregator-1', id: 'agg-id' }, node: { name: 'default-1', id: 'node-id' } }
const okPayload = payloadJson({ 'agg-id': 'ok', 'node-id': 'ok' })

const workDir = mkdtempSync(join(tmpdir(), 'round-payload-'))
afterAll(() => rmSync(workDir, { recursive: true, force: true }))

/** Pack real files into a tar with node-tar's packer. */
async function packFiles(files: Record<string, string>, options: { gzip?: boolean; links?: Record<string, string> } = {}): Promise<Buffer> {
  const dir = mkdtempSync(join(workDir, 'pack-'))
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content)
  for (const [name, target] of Object.entries(options.links ?? {})) symlinkSync(target, join(dir, name))
  const out = join(dir, '..', `${dir.split('/').pop()}.tar`)
  await create({ cwd: dir, file: out, gzip: options.gzip ?? false, portable: true }, [
    ...Object.keys(files),
    ...Object.keys(options.links ?? {})
  ])
  return readFileSync(out)
}

describe('readTarFiles', () => {
  it('reads a tar packed by node-tar', async () => {
    const bytes = await packFiles({ result_ab12_261204120000: okPayload, 'notes.txt': 'hello' })
    const files = await readTarFiles(bytes)
    expect(files.map((file) => file.path).sort()).toEqual(['notes.txt', 'result_ab12_261204120000'])
    expect(files.find((file) => file.path === 'notes.txt')?.content.toString()).toBe('hello')
  })

  it('reads an empty archive as no files', async () => {
    expect(await readTarFiles(buildTar([]))).toEqual([])
    expect(await readTarFiles(new Uint8Array(0))).toEqual([])
  })

  it('skips directories', async () => {
    const bytes = buildTar([{ path: 'out/', type: 'Directory' }, { path: 'out/result', content: okPayload }])
    expect((await readTarFiles(bytes)).map((file) => file.path)).toEqual(['out/result'])
  })

  it('rejects gzip input', async () => {
    const bytes = await packFiles({ result: okPayload }, { gzip: true })
    await expect(readTarFiles(bytes)).rejects.toThrow(/gzip-compressed/)
  })

  it('rejects a symbolic link', async () => {
    const bytes = await packFiles({ result: okPayload }, { links: { escape: '/etc/passwd' } })
    await expect(readTarFiles(bytes)).rejects.toThrow(/"escape" is a symbolic link to "\/etc\/passwd"/)
  })

  it('rejects a hard link', async () => {
    const bytes = buildTar([{ path: 'result', content: okPayload }, { path: 'copy', type: 'Link', linkpath: 'result' }])
    await expect(readTarFiles(bytes)).rejects.toThrow(/"copy" is a hard link/)
  })

  it('rejects a traversal path', async () => {
    const bytes = buildTar([{ path: '../../outside', content: okPayload }])
    await expect(readTarFiles(bytes)).rejects.toThrow(/contains a "\.\." path segment/)
  })

  it('rejects an absolute path', async () => {
    const bytes = buildTar([{ path: '/tmp/result', content: okPayload }])
    await expect(readTarFiles(bytes)).rejects.toThrow(/absolute path/)
  })

  it('rejects a header size beyond the archive', async () => {
    const bytes = buildTar([{ path: 'result', content: okPayload, declaredSize: 8 * 1024 ** 3 - 1 }])
    await expect(readTarFiles(bytes)).rejects.toThrow(/declares 8589934591 bytes, but the archive has only \d+ bytes/)
  })

  it('rejects a device entry', async () => {
    const bytes = buildTar([{ path: 'dev', type: 'CharacterDevice' }])
    await expect(readTarFiles(bytes)).rejects.toThrow(/unsupported type CharacterDevice/)
  })

  it('rejects bytes that are not a tar', async () => {
    const bytes = Buffer.alloc(2048, 'x')
    await expect(readTarFiles(bytes)).rejects.toBeInstanceOf(StepFailure)
  })

  it('rejects a truncated archive', async () => {
    const bytes = buildTar([{ path: 'result', content: 'x'.repeat(4000) }]).subarray(0, 1536)
    await expect(readTarFiles(bytes)).rejects.toThrow(/invalid result tar/)
  })
})

describe('findPayload', () => {
  it('picks the JSON file with node_results', () => {
    const payload = findPayload([
      { path: 'log.txt', content: Buffer.from('not json') },
      { path: 'other.json', content: Buffer.from('{"a":1}') },
      { path: 'result', content: Buffer.from(okPayload) }
    ])
    expect(payload.path).toBe('result')
    expect(payload.overallSuccess).toBe(true)
  })

  it('decodes a JSON-encoded string payload', () => {
    const payload = findPayload([{ path: 'result', content: Buffer.from(JSON.stringify(okPayload)) }])
    expect(payload.nodeResults).toEqual({ 'agg-id': 'ok', 'node-id': 'ok' })
  })

  it('rejects files without a payload', () => {
    expect(() => findPayload([{ path: 'result', content: Buffer.from('plain text') }])).toThrow(
      'no file in the RESULT bucket is a JSON object with node_results (files: "result")'
    )
  })

  it('rejects an empty file list', () => {
    expect(() => findPayload([])).toThrow('the RESULT bucket contains no files')
  })
})

describe('checkPayload', () => {
  const payloadOf = (json: string) => findPayload([{ path: 'result', content: Buffer.from(json) }])

  it('accepts both nodes ok', () => {
    expect(() => checkPayload(payloadOf(okPayload), pair)).not.toThrow()
  })

  it('rejects overall_success false', () => {
    const json = payloadJson({ 'agg-id': 'ok', 'node-id': 'ok' }, false)
    expect(() => checkPayload(payloadOf(json), pair)).toThrow('result payload "result" has overall_success false, expected true')
  })

  it('rejects a missing compute node', () => {
    const json = payloadJson({ 'agg-id': 'ok' })
    expect(() => checkPayload(payloadOf(json), pair)).toThrow('no node_results entry for the node default-1 (id node-id)')
  })

  it('rejects a missing aggregator', () => {
    const json = payloadJson({ 'node-id': 'ok' })
    expect(() => checkPayload(payloadOf(json), pair)).toThrow('no node_results entry for the aggregator aggregator-1')
  })

  it('rejects a node status other than ok', () => {
    const json = payloadJson({ 'agg-id': 'ok', 'node-id': 'error' })
    expect(() => checkPayload(payloadOf(json), pair)).toThrow('reports "error" for the node default-1 (id node-id), expected "ok"')
  })
})

describe('verifyResultTar', () => {
  it('verifies a valid result tar', async () => {
    const payload = await verifyResultTar(buildTar([{ path: 'result_ab12_261204120000', content: okPayload }]), pair)
    expect(payload.path).toBe('result_ab12_261204120000')
  })
})
