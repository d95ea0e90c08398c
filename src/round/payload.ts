// The RESULT bucket check: parse the bucket's tar in memory with node-tar, find the JSON
// payload the test analysis writes, and verify that both nodes of the pair reported "ok".
// Nothing is written to disk, but hostile archives are still rejected: a result bucket
// with links, traversal paths or impossible sizes means something else wrote into it.

import { Parser, type ReadEntry } from 'tar'
import { StepFailure } from './failure.js'

/** A regular file from the result tar. */
export interface TarFile {
  path: string
  content: Buffer
}

/** The parts of the aggregator's JSON payload that the check reads. */
export interface ResultPayload {
  /** Path of the payload file inside the tar. */
  path: string
  overallSuccess: unknown
  nodeResults: Record<string, unknown>
}

const REGULAR_FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile'])
/** Largest pax or long-name header accepted; real ones are a few hundred bytes. */
const MAX_META_ENTRY_BYTES = 64 * 1024

/**
 * Read the regular files of an uncompressed tar held in memory. An empty stream or one of
 * only zero blocks is an empty bucket and yields no files.
 *
 * Rejects (StepFailure) compressed input: the Hub streams plain tar, and decompressing
 * would let a small download grow past the size limit. Also rejects symbolic and hard
 * links, devices, absolute or `..` paths, entries that declare more bytes than the
 * archive holds, oversized pax headers, checksum errors and truncated archives.
 */
export async function readTarFiles(bytes: Uint8Array): Promise<TarFile[]> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (buffer.every((byte) => byte === 0)) return []
  rejectCompressed(buffer)

  const files: TarFile[] = []
  const parser = new Parser({ strict: true, maxMetaEntrySize: MAX_META_ENTRY_BYTES })

  return new Promise<TarFile[]>((resolve, reject) => {
    const fail = (reason: string): void => parser.abort(new StepFailure(`invalid result tar: ${reason}`))

    parser.on('entry', (entry: ReadEntry) => {
      const problem = checkEntry(entry, buffer.length)
      if (problem !== null) {
        fail(problem)
        entry.resume()
        return
      }
      if (!REGULAR_FILE_TYPES.has(entry.type)) {
        entry.resume()
        return
      }

      const chunks: Buffer[] = []
      entry.on('data', (chunk: Buffer) => chunks.push(chunk))
      entry.on('end', () => files.push({ path: entry.path, content: Buffer.concat(chunks) }))
    })
    parser.on('ignoredEntry', (entry: ReadEntry) => {
      fail(`header entry "${entry.path}" of ${entry.size} bytes exceeds ${MAX_META_ENTRY_BYTES} bytes`)
    })
    parser.on('error', (error: Error) => {
      reject(error instanceof StepFailure ? error : new StepFailure(`invalid result tar: ${error.message}`))
    })
    parser.on('end', () => resolve(files))

    parser.end(buffer)
  })
}

function rejectCompressed(buffer: Buffer): void {
  const isGzip = buffer[0] === 0x1f && buffer[1] === 0x8b
  const isZstd = buffer.length >= 4 && buffer.readUInt32LE(0) === 0xfd2fb528
  if (isGzip || isZstd) {
    const format = isGzip ? 'gzip' : 'zstd'
    throw new StepFailure(`invalid result tar: the stream is ${format}-compressed, but the Hub streams an uncompressed tar`)
  }
}

/** Return why an entry is rejected, or null when it is acceptable. */
function checkEntry(entry: ReadEntry, archiveBytes: number): string | null {
  const path = entry.path

  if (entry.type === 'SymbolicLink' || entry.type === 'Link') {
    return `entry "${path}" is a ${entry.type === 'Link' ? 'hard' : 'symbolic'} link to "${entry.linkpath ?? ''}"`
  }
  if (!REGULAR_FILE_TYPES.has(entry.type) && entry.type !== 'Directory') {
    return `entry "${path}" has the unsupported type ${entry.type}`
  }
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) {
    return `entry "${path}" has an absolute path`
  }
  if (path.split(/[/\\]/).includes('..')) {
    return `entry "${path}" contains a ".." path segment`
  }
  if (!Number.isSafeInteger(entry.size) || entry.size < 0 || entry.size > archiveBytes) {
    return `entry "${path}" declares ${entry.size} bytes, but the archive has only ${archiveBytes} bytes`
  }
  return null
}

/**
 * Find the payload: the first regular file whose content is a JSON object with a
 * `node_results` object. The test analysis returns its JSON as a string, so a file that
 * contains a JSON-encoded string is decoded once more.
 */
export function findPayload(files: TarFile[]): ResultPayload {
  if (files.length === 0) throw new StepFailure('the RESULT bucket contains no files')

  for (const file of files) {
    const value = parseJsonObject(file.content)
    if (value === undefined) continue
    const nodeResults = value['node_results']
    if (typeof nodeResults !== 'object' || nodeResults === null || Array.isArray(nodeResults)) continue
    return {
      path: file.path,
      overallSuccess: value['overall_success'],
      nodeResults: nodeResults as Record<string, unknown>
    }
  }

  const names = files.map((file) => `"${file.path}"`).join(', ')
  throw new StepFailure(`no file in the RESULT bucket is a JSON object with node_results (files: ${names})`)
}

function parseJsonObject(content: Buffer): Record<string, unknown> | undefined {
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(content))
    if (typeof value === 'string') value = JSON.parse(value)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  return value as Record<string, unknown>
}

export interface PairNodes {
  aggregator: { name: string; id: string }
  node: { name: string; id: string }
}

/** Check the payload: overall_success is true and both nodes of the pair report "ok". */
export function checkPayload(payload: ResultPayload, pair: PairNodes): void {
  if (payload.overallSuccess !== true) {
    throw new StepFailure(`result payload "${payload.path}" has overall_success ${JSON.stringify(payload.overallSuccess) ?? 'missing'}, expected true`)
  }

  for (const [role, node] of [['aggregator', pair.aggregator], ['node', pair.node]] as const) {
    const result = payload.nodeResults[node.id]
    if (result === undefined) {
      throw new StepFailure(`result payload has no node_results entry for the ${role} ${node.name} (id ${node.id})`)
    }
    if (result !== 'ok') {
      throw new StepFailure(`result payload reports ${JSON.stringify(result)} for the ${role} ${node.name} (id ${node.id}), expected "ok"`)
    }
  }
}

/** Parse the tar, find the payload and check it; throws StepFailure with the reason. */
export async function verifyResultTar(bytes: Uint8Array, pair: PairNodes): Promise<ResultPayload> {
  const payload = findPayload(await readTarFiles(bytes))
  checkPayload(payload, pair)
  return payload
}
