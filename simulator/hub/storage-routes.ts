// The storage service's routes: buckets, multipart upload, and the bucket as a tar stream.

import type { ServerResponse } from 'node:http'
import { gzipSync } from 'node:zlib'

import { mirrorUploadedFiles } from './lifecycle.js'
import type { HubRuntime } from './runtime.js'
import type { RouteReply, RouteRequest } from './routing.js'
import type { ResultTarFault } from './faults.js'
import { packTar, type TarEntry } from './tar.js'
import { ApiError, listBody, notFound, parseListQuery, recordBody, selectPage, toWire, type ListSchema } from './wire.js'
import type { StorageBucketEntity, StorageFileEntity } from './world.js'

const bucketSchema: ListSchema = {
  filters: ['id', 'name', 'realmId', 'actorType', 'actorId'],
  includes: [],
  sorts: ['id', 'updatedAt', 'createdAt'],
  defaultSort: []
}

const bucketFileSchema: ListSchema = {
  filters: ['id', 'name', 'directory', 'realmId', 'actorType', 'actorId', 'bucketId'],
  includes: ['bucket'],
  sorts: ['id', 'directory', 'name', 'updatedAt', 'createdAt'],
  defaultSort: []
}

const RESULT_BUCKET_PREFIX = 'analysis-result-files.'

function errorFor(status: number): ApiError {
  if (status === 507) return new ApiError(507, 'storage_insufficient', 'The storage has not enough space left.')
  if (status === 403) return new ApiError(403, 'permission_denied', 'You are not permitted to upload to this bucket.')
  if (status >= 500) return new ApiError(status, 'internal_error', 'The upload failed.')
  return new ApiError(status, 'bad_request', 'The upload was rejected.')
}

async function upload(runtime: HubRuntime, request: RouteRequest, bucket: StorageBucketEntity): Promise<RouteReply> {
  const contentType = request.headers['content-type'] ?? ''
  if (!contentType.startsWith('multipart/form-data')) {
    throw new ApiError(400, 'bad_request', 'A multipart content-type header is required.')
  }
  if (request.body.length === 0) throw new ApiError(400, 'bad_request', 'The request body is empty.')
  if (runtime.faults.uploadRejectedStatus !== undefined) throw errorFor(runtime.faults.uploadRejectedStatus)

  // Node's own multipart parser (the Fetch API's Request.formData) keeps directory parts in file names.
  let form: FormData
  try {
    form = await new Request('http://storage.invalid/', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: Uint8Array.from(request.body)
    }).formData()
  } catch (error) {
    throw new ApiError(400, 'bad_request', `The multipart body could not be parsed: ${String(error)}`)
  }

  // The field name does not matter: every part with a file name becomes one file.
  const uploaded: File[] = []
  form.forEach((value) => {
    if (typeof value !== 'string' && value.name !== '') uploaded.push(value)
  })
  const parts: Array<{ path: string; content: Buffer }> = []
  for (const file of uploaded) parts.push({ path: file.name, content: Buffer.from(await file.arrayBuffer()) })
  if (parts.length === 0) throw new ApiError(400, 'bad_request', 'The request body is empty.')

  const existing = new Set(runtime.world.filesOfStorageBucket(bucket.id).map((file) => file.path))
  for (const part of parts) {
    if (existing.has(part.path)) throw new ApiError(409, 'entity_conflict', 'An entry with some unique attributes already exists.')
    existing.add(part.path)
  }

  const files = parts.map((part) => runtime.world.addStorageFile(bucket, part.path, part.content, request.userId))
  mirrorUploadedFiles(runtime, bucket, files)
  return { status: 201, body: { data: toWire(files, runtime.settings.era), meta: { total: files.length } } }
}

/** Damages a tar: breaks the first header checksum and cuts the archive inside the first file. */
function corrupt(tar: Buffer): Buffer {
  const damaged = Buffer.from(tar)
  damaged.write('99999999', 148, 'latin1')
  return damaged.subarray(0, Math.min(damaged.length, 700))
}

/** Rewrites the entries of a RESULT bucket into the malformed or hostile tar that the fault names. */
function hostileEntries(fault: ResultTarFault, entries: TarEntry[]): TarEntry[] {
  const mtime = entries[0]?.mtime ?? new Date()
  switch (fault) {
    case 'path-traversal':
      return entries.map((entry) => ({ ...entry, path: `../../${entry.path}` }))
    case 'symlink':
      return [{ path: 'result.json', content: Buffer.alloc(0), mtime, linkTarget: '/etc/passwd' }, ...entries]
    case 'huge-entry':
      return [{ path: 'result.json', content: Buffer.from('{}'), mtime, declaredSize: 1024 ** 3 }]
    case 'not-json':
      return entries.map((entry) => ({ ...entry, content: Buffer.from('Traceback (most recent call last):\nMemoryError\n') }))
  }
}

function stream(runtime: HubRuntime, bucket: StorageBucketEntity): RouteReply {
  const files: StorageFileEntity[] = runtime.world.filesOfStorageBucket(bucket.id)
  let entries: TarEntry[] = files.map((file) => ({
    path: file.path,
    content: runtime.world.storageContents.get(file.id) ?? Buffer.alloc(0),
    mtime: new Date(file.createdAt)
  }))

  // The result faults touch only RESULT buckets, so code downloads stay intact.
  const faults = bucket.name.startsWith(RESULT_BUCKET_PREFIX) ? runtime.faults : {}
  if (faults.resultTar !== undefined && entries.length > 0) entries = hostileEntries(faults.resultTar, entries)
  const tar = packTar(entries)
  const headers = {
    'content-type': 'application/x-tar',
    'content-disposition': `attachment; filename="${bucket.id}.tar"`
  }

  if (faults.streamStalls === true) {
    return {
      status: 200,
      headers,
      send: (response: ServerResponse) => {
        response.writeHead(200, headers)
        // The connection stays open until the client gives up or the simulator stops.
        response.write(tar.subarray(0, 512))
      }
    }
  }

  let body = tar
  if (faults.corruptTar === true) body = corrupt(body)
  if (faults.gzipResult === true) body = gzipSync(body)
  return {
    status: 200,
    headers,
    send: (response: ServerResponse) => {
      response.writeHead(200, { ...headers, 'content-length': String(body.length) })
      response.end(body)
    }
  }
}

/** Routes one authenticated storage request. `segments` is the path after the /storage prefix. */
export async function handleStorage(runtime: HubRuntime, request: RouteRequest): Promise<RouteReply> {
  const [collection = '', id, action, ...rest] = request.segments
  const era = runtime.settings.era
  const route = `${request.method} ${collection}${id === undefined ? '' : '/:id'}${action === undefined ? '' : `/${action}`}`

  if (rest.length === 0 && collection === 'buckets') {
    if (route === 'GET buckets') {
      const query = parseListQuery(request.query, bucketSchema, era)
      const { page, total } = selectPage([...runtime.world.storageBuckets.values()], query)
      return { status: 200, body: listBody(page, { total, limit: query.limit, offset: query.offset }, bucketSchema, era) }
    }
    const bucket = id === undefined ? undefined : runtime.world.storageBucket(id)
    if (bucket === undefined) throw notFound('bucket')
    if (route === 'GET buckets/:id') return { status: 200, body: recordBody(bucket, era, bucketSchema) }
    if (route === 'POST buckets/:id/upload') return upload(runtime, request, bucket)
    if (route === 'GET buckets/:id/stream') return stream(runtime, bucket)
  }

  if (rest.length === 0 && collection === 'bucket-files') {
    if (route === 'GET bucket-files') {
      const query = parseListQuery(request.query, bucketFileSchema, era)
      const { page, total } = selectPage([...runtime.world.storageFiles.values()], query)
      return { status: 200, body: listBody(page, { total, limit: query.limit, offset: query.offset }, bucketFileSchema, era) }
    }
    const file = id === undefined ? undefined : runtime.world.storageFiles.get(id)
    if (file === undefined) throw notFound('bucket file')
    if (route === 'GET bucket-files/:id') return { status: 200, body: recordBody(file, era, bucketFileSchema) }
  }

  throw new ApiError(404, 'not_found', `The route ${request.method} /${request.segments.join('/')} does not exist.`)
}
