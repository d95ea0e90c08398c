// Calls to the Hub storage service: multipart upload into a bucket and the bucket's tar stream.

import type { CallOptions, DownloadOptions } from './api.js'
import type { ServiceContext } from './core.js'
import { toBucketFile } from './entities.js'
import { HubError } from './errors.js'
import { joinUrl, type HubRequest } from './http.js'
import type { BucketFile } from './model.js'
import { decodeList } from './wire.js'

export class StorageService {
  constructor(
    private readonly context: ServiceContext,
    private readonly baseUrl: string
  ) {}

  /**
   * Upload one file as multipart form data; the part's filename becomes the file's path in the
   * bucket. The response is a list envelope in every era.
   */
  async uploadFile(bucketId: string, fileName: string, content: Uint8Array, options?: CallOptions): Promise<BucketFile[]> {
    if (fileName.trim() === '') {
      throw new HubError('protocol', `Cannot upload to bucket ${bucketId}: the file name is empty; pass the script's file name`)
    }

    const form = new FormData()
    // Copy into a fresh ArrayBuffer-backed view, which Blob accepts whatever backs `content`.
    form.append('file', new Blob([new Uint8Array(content)]), fileName)

    const transport = this.context.transport
    const request: HubRequest = {
      operation: 'uploadFile',
      method: 'POST',
      url: joinUrl(this.baseUrl, `buckets/${encodeURIComponent(bucketId)}/upload`),
      headers: { accept: 'application/json' },
      body: form,
      retryClass: 'write',
      signal: options?.signal
    }
    const body = await transport.readJson(await this.context.session.send(request))
    return transport.decode(request, () => decodeList(body, 'uploaded bucket files').rows.map(toBucketFile))
  }

  /**
   * Read the bucket's tar stream into memory. The deadline covers the whole download,
   * retries included, so a stream that stalls fails at the deadline; more than `maxBytes`
   * fails at once.
   */
  async downloadBucket(bucketId: string, options: DownloadOptions): Promise<Uint8Array> {
    const transport = this.context.transport
    const clock = transport.options.clock
    const budgetMs = options.deadline - clock.now()
    const url = joinUrl(this.baseUrl, `buckets/${encodeURIComponent(bucketId)}/stream`)
    const describe = `GET ${url.pathname}`

    if (budgetMs <= 0) {
      throw new HubError('timeout', `${describe} not started: its deadline had already passed`, { method: 'GET', path: url.pathname })
    }
    if (!Number.isFinite(options.maxBytes) || options.maxBytes <= 0) {
      throw new HubError('protocol', `${describe}: maxBytes must be a positive number, got ${options.maxBytes}`, { method: 'GET', path: url.pathname })
    }

    // One timer for everything: waiting in queues, retries and reading the body.
    // NOTE: the budget comes from the injected clock but a real-time timer enforces it, so a clock
    // that runs faster or slower than real time changes how long a download may take.
    const deadlineSignal = AbortSignal.timeout(budgetMs)
    const signal = options.signal === undefined ? deadlineSignal : AbortSignal.any([options.signal, deadlineSignal])
    const request: HubRequest = {
      operation: 'downloadBucket',
      method: 'GET',
      url,
      headers: { accept: 'application/x-tar' },
      retryClass: 'idempotent',
      signal,
      timeoutMs: budgetMs,
      stream: true
    }

    const timedOut = (received: number): HubError =>
      new HubError('timeout', `${describe} did not finish within ${budgetMs} ms (${received} bytes received); the stream stalled or is too slow`, {
        method: 'GET',
        path: url.pathname
      })

    let hubResponse
    try {
      hubResponse = await this.context.session.send(request)
    } catch (error) {
      if (deadlineSignal.aborted && !(options.signal?.aborted ?? false)) {
        throw timedOut(0)
      }
      throw error
    }

    const { response } = hubResponse
    try {
      const declared = Number(response.headers.get('content-length'))
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        // The body is not read, so cancel it to close the connection instead of leaving it open.
        await response.body?.cancel().catch(() => undefined)
        throw new HubError('protocol', `${describe} announced ${declared} bytes, more than the limit of ${options.maxBytes}`, {
          method: 'GET',
          path: url.pathname,
          status: response.status
        })
      }
      if (response.body === null) {
        return new Uint8Array(0)
      }
      return await readLimited(response.body, options.maxBytes, describe, url.pathname, timedOut, () => deadlineSignal.aborted, options.signal)
    } finally {
      hubResponse.release()
    }
  }
}

async function readLimited(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  describe: string,
  path: string,
  timedOut: (received: number) => HubError,
  deadlinePassed: () => boolean,
  callerSignal: AbortSignal | undefined
): Promise<Uint8Array> {
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let received = 0

  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>
      try {
        chunk = await reader.read()
      } catch (cause) {
        if (callerSignal?.aborted) {
          throw new HubError('aborted', `${describe} was cancelled`, { method: 'GET', path, cause: callerSignal.reason })
        }
        if (deadlinePassed()) {
          throw timedOut(received)
        }
        throw new HubError('network', `${describe} broke off after ${received} bytes`, { method: 'GET', path, cause })
      }

      if (chunk.done) {
        break
      }
      received += chunk.value.byteLength
      if (received > maxBytes) {
        throw new HubError('protocol', `${describe} sent more than the limit of ${maxBytes} bytes`, { method: 'GET', path })
      }
      chunks.push(chunk.value)
    }
  } finally {
    // Cancel the stream on early exits so the socket is not left half read.
    reader.cancel().catch(() => undefined)
  }

  const result = new Uint8Array(received)
  let offset = 0
  for (const chunk of chunks) {
    result.set(chunk, offset)
    offset += chunk.byteLength
  }
  return result
}
