// A small in-memory Hub on node:http for the client tests: Authup token grants, the core
// collections a round touches and the storage upload and stream, in wire era E3 or E4 under
// the path-based layout (/auth, /core, /storage). Faults are injected per request.

import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type StubEra = 'e3' | 'e4'

export interface StubFault {
  method?: string
  /** Substring of the request path, service prefix included, for example `/core/analyses/`. */
  pathIncludes: string
  /** How many matching requests the fault hits before it wears off. */
  times: number
  action:
    | { status: number; body?: unknown; headers?: Record<string, string> }
    | { reset: true }
    | { stallAfterBytes: number }
}

export interface StubLog {
  method: string
  path: string
  query: URLSearchParams
  authorization: string | undefined
  body: unknown
}

type Row = Record<string, unknown>

const COLLECTIONS = [
  'nodes',
  'projects',
  'project-nodes',
  'master-images',
  'analyses',
  'analysis-nodes',
  'analysis-buckets',
  'analysis-bucket-files'
] as const
type Collection = (typeof COLLECTIONS)[number]

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)
}

function camel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, letter: string) => letter.toUpperCase())
}

export class StubHub {
  readonly era: StubEra
  readonly username = 'health-check'
  readonly password = 'stub-password-123'
  readonly requests: StubLog[] = []
  readonly faults: StubFault[] = []
  /** Access token lifetime in seconds, as sent in `expires_in`. */
  tokenLifetimeS = 900
  /** Make every list endpoint ignore filters, as a Hub does with wrong-case keys. */
  ignoreFilters = false
  /** Send E2's `external_id` in place of `bucket_id` on analysis buckets. */
  legacyBucketKey = false
  /** Bytes served by the result stream of any bucket. */
  streamBody: Uint8Array = new Uint8Array(2048).fill(7)
  readonly tables: Record<Collection, Row[]>
  private readonly validTokens = new Set<string>()
  private readonly refreshTokens = new Map<string, 'fresh' | 'used'>()
  readonly grants: Array<{ grantType: string; refreshToken?: string; realmId?: string; realmName?: string }> = []
  private server = createServer((req, res) => {
    void this.handle(req, res)
  })
  private baseUrl = ''

  constructor(era: StubEra) {
    this.era = era
    const now = new Date().toISOString()
    const row = (fields: Row): Row => ({ id: randomUUID(), createdAt: now, updatedAt: now, ...fields })
    this.tables = {
      nodes: [
        row({ name: 'aggregator-1', type: 'aggregator', online: false, hidden: false, registryId: randomUUID(), realmId: randomUUID() }),
        row({ name: 'default-1', type: 'default', online: false, hidden: false, registryId: randomUUID(), realmId: randomUUID() }),
        row({ name: 'default-2', type: 'default', online: false, hidden: false, registryId: null, realmId: randomUUID() })
      ],
      projects: [],
      'project-nodes': [],
      'master-images': [row({ name: 'base', path: 'python/base', virtualPath: 'python/base', groupVirtualPath: 'python' })],
      analyses: [],
      'analysis-nodes': [],
      'analysis-buckets': [],
      'analysis-bucket-files': []
    }
  }

  get version(): string {
    return this.era === 'e4' ? '0.14.0' : '0.12.7'
  }

  get authUrl(): string {
    return `${this.baseUrl}/auth/`
  }

  get coreUrl(): string {
    return `${this.baseUrl}/core/`
  }

  get storageUrl(): string {
    return `${this.baseUrl}/storage/`
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    const { port } = this.server.address() as AddressInfo
    this.baseUrl = `http://127.0.0.1:${port}`
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  /** Makes every access token issued so far invalid, as if it had expired. */
  expireAccessTokens(): void {
    this.validTokens.clear()
  }

  /** Returns every bearer token and refresh token the stub has issued. */
  issuedSecrets(): string[] {
    return [...this.validTokens, ...this.refreshTokens.keys()]
  }

  addNodes(count: number): void {
    const now = new Date().toISOString()
    for (let i = 0; i < count; i++) {
      this.tables.nodes.push({ id: randomUUID(), name: `extra-${i}`, type: 'default', online: false, hidden: false, registryId: null, realmId: null, createdAt: now, updatedAt: now })
    }
  }

  countRequests(method: string, pathIncludes: string): number {
    return this.requests.filter((entry) => entry.method === method && entry.path.includes(pathIncludes)).length
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stub')
    const method = req.method ?? 'GET'
    const raw = await readBody(req)
    const contentType = req.headers['content-type'] ?? ''
    let body: unknown = undefined
    if (contentType.includes('application/json') && raw.length > 0) {
      body = JSON.parse(raw.toString('utf8'))
    }

    const [, service = '', ...rest] = url.pathname.split('/')
    const path = `/${rest.join('/')}`
    this.requests.push({ method, path: `/${service}${path}`, query: url.searchParams, authorization: req.headers.authorization, body })

    const fault = this.faults.find((item) => item.times > 0 && (item.method === undefined || item.method === method) && `/${service}${path}`.includes(item.pathIncludes))
    if (fault !== undefined) {
      fault.times -= 1
      const { action } = fault
      if ('reset' in action) {
        req.socket.destroy()
        return
      }
      if ('stallAfterBytes' in action) {
        res.writeHead(200, { 'content-type': 'application/x-tar' })
        res.write(this.streamBody.subarray(0, action.stallAfterBytes))
        return
      }
      this.send(res, action.status, action.body ?? { statusCode: action.status, code: 'fault', message: 'Injected fault', issues: [] }, action.headers)
      return
    }

    if (service === 'auth' && path === '/token' && method === 'POST') {
      this.token(res, (body ?? {}) as Row)
      return
    }
    if ((service === 'core' || service === 'storage') && path === '/' && method === 'GET') {
      this.send(res, 200, { version: this.version, timestamp: Date.now() })
      return
    }

    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '')
    if (!this.validTokens.has(token)) {
      this.send(res, 401, { statusCode: 401, code: 'invalid_token', message: 'The JWT is invalid.', issues: [] })
      return
    }

    if (service === 'storage') {
      await this.storage(req, res, method, path, raw, contentType)
      return
    }
    if (service === 'core') {
      this.core(res, method, path, url.searchParams, (body ?? {}) as Row)
      return
    }
    this.send(res, 404, { statusCode: 404, code: 'not_found', message: 'Unknown route', issues: [] })
  }

  private token(res: ServerResponse, body: Row): void {
    const grantType = String(body.grant_type)
    this.grants.push({
      grantType,
      refreshToken: body.refresh_token as string | undefined,
      realmId: body.realm_id as string | undefined,
      realmName: body.realm_name as string | undefined
    })

    if (grantType === 'password') {
      if (body.username !== this.username || body.password !== this.password) {
        this.send(res, 400, { name: 'OAuth2Error', code: 'invalid_credentials', message: 'The user credentials are invalid.' })
        return
      }
    } else if (grantType === 'refresh_token') {
      const state = this.refreshTokens.get(String(body.refresh_token))
      if (state !== 'fresh') {
        this.send(res, 400, { name: 'TokenError', code: 'invalid_token', message: 'The JWT is invalid.' })
        return
      }
      this.refreshTokens.set(String(body.refresh_token), 'used')
    } else {
      this.send(res, 400, { name: 'OAuth2Error', code: 'unsupported_token_grant_type', message: 'Unsupported grant.' })
      return
    }

    const accessToken = `at-${randomUUID()}`
    const refreshToken = `rt-${randomUUID()}`
    this.validTokens.add(accessToken)
    this.refreshTokens.set(refreshToken, 'fresh')
    this.send(res, 200, {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.tokenLifetimeS,
      refresh_token: refreshToken,
      refresh_token_expires_in: 259200,
      scope: 'global'
    })
  }

  private core(res: ServerResponse, method: string, path: string, query: URLSearchParams, body: Row): void {
    const parts = path.split('/').filter((part) => part !== '')
    const collection = parts[0] as Collection
    if (!COLLECTIONS.includes(collection)) {
      this.send(res, 404, { statusCode: 404, code: 'not_found', message: `Unknown route ${path}`, issues: [] })
      return
    }
    const table = this.tables[collection]
    const input = this.fromWire(body)

    if (method === 'GET' && parts.length === 1) {
      this.list(res, table, query)
      return
    }

    const id = parts[1]
    const found = table.find((row) => row.id === id)

    if (method === 'GET' && found !== undefined) {
      this.record(res, 200, found)
      return
    }
    if (method === 'POST' && parts.length === 1) {
      this.create(res, collection, input)
      return
    }
    if (method === 'POST' && parts[2] === 'command' && found !== undefined) {
      this.command(res, found, String(input.command))
      return
    }
    if (method === 'POST' && found !== undefined) {
      Object.assign(found, input, { updatedAt: new Date().toISOString() })
      this.record(res, 202, found)
      return
    }
    if (method === 'DELETE' && found !== undefined) {
      table.splice(table.indexOf(found), 1)
      this.record(res, 202, found)
      return
    }
    this.send(res, 404, { statusCode: 404, code: 'entity_not_found', message: `The ${collection} entry was not found.`, issues: [] })
  }

  private list(res: ServerResponse, table: Row[], query: URLSearchParams): void {
    let rows = table
    if (!this.ignoreFilters) {
      for (const [key, value] of query.entries()) {
        const match = /^filter\[(.+)\]$/.exec(key)
        if (match === null) {
          continue
        }
        const field = match[1] ?? ''
        // Like the Hub: a key in the other era's case is silently dropped.
        const inEraCase = this.era === 'e3' ? field === snake(field) : !field.includes('_')
        if (!inEraCase) {
          continue
        }
        rows = rows.filter((row) => String(row[camel(field)]) === value)
      }
    }
    const limit = Math.min(50, Number(query.get('page[limit]') ?? 50))
    const offset = Number(query.get('page[offset]') ?? 0)
    const page = rows.slice(offset, offset + limit)
    this.send(res, 200, { data: page.map((row) => this.toWire(row)), meta: { total: rows.length, limit, offset } })
  }

  private create(res: ServerResponse, collection: Collection, input: Row): void {
    const now = new Date().toISOString()
    const row: Row = { id: randomUUID(), createdAt: now, updatedAt: now, ...input }

    if (collection === 'projects') {
      if (this.tables.projects.some((project) => project.name === input.name)) {
        this.send(res, 409, { statusCode: 409, code: 'entity_conflict', message: 'An entry with some unique attributes already exists.', issues: [] })
        return
      }
      row.masterImageId ??= null
    }
    if (collection === 'project-nodes' || collection === 'analysis-nodes') {
      const parent = collection === 'project-nodes' ? 'projectId' : 'analysisId'
      const exists = this.tables[collection].some((item) => item[parent] === input[parent] && item.nodeId === input.nodeId)
      if (exists) {
        this.send(res, 409, { statusCode: 409, code: 'entity_conflict', message: 'An entry with some unique attributes already exists.', issues: [] })
        return
      }
      row.approvalStatus = 'approved'
      row.executionStatus = null
    }
    if (collection === 'analyses') {
      Object.assign(row, {
        nodes: 0,
        configurationLocked: false,
        configurationEntrypointValid: false,
        buildStatus: null,
        distributionStatus: null,
        executionStatus: null,
        masterImageId: input.masterImageId ?? null
      })
      for (const type of ['CODE', 'RESULT', 'TEMP']) {
        this.tables['analysis-buckets'].push({ id: randomUUID(), type, bucketId: randomUUID(), analysisId: row.id, createdAt: now, updatedAt: now })
      }
    }

    this.tables[collection].push(row)
    this.record(res, 201, row)
  }

  private command(res: ServerResponse, analysis: Row, command: string): void {
    const transitions: Record<string, Row> = {
      configurationLock: { configurationLocked: true },
      buildStart: { buildStatus: 'executed', buildProgress: 100 },
      distributionStart: { distributionStatus: 'executed', distributionProgress: 100, executionStatus: 'executed' }
    }
    const change = transitions[command]
    if (change === undefined) {
      this.send(res, 400, { statusCode: 400, code: 'ANALYSIS_ERROR', message: 'Invalid command.', issues: [] })
      return
    }
    Object.assign(analysis, change)
    this.record(res, 202, analysis)
  }

  private async storage(req: IncomingMessage, res: ServerResponse, method: string, path: string, raw: Buffer, contentType: string): Promise<void> {
    const upload = /^\/buckets\/([^/]+)\/upload$/.exec(path)
    if (method === 'POST' && upload !== null) {
      if (!contentType.startsWith('multipart/form-data')) {
        this.send(res, 400, { statusCode: 400, code: 'bad_request', message: 'A multipart content-type header is required.', issues: [] })
        return
      }
      const form = await new Request('http://stub/', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(raw) }).formData()
      const parts: File[] = []
      form.forEach((value) => {
        if (typeof value !== 'string') {
          parts.push(value)
        }
      })
      const files: Row[] = []
      for (const file of parts) {
        files.push({ id: randomUUID(), name: file.name.split('/').pop(), path: file.name, directory: '.', size: file.size, bucketId: upload[1] })
        const bucket = this.tables['analysis-buckets'].find((item) => item.bucketId === upload[1])
        if (bucket !== undefined) {
          this.tables['analysis-bucket-files'].push({
            id: randomUUID(),
            path: file.name,
            root: false,
            bucketId: upload[1],
            analysisBucketId: bucket.id,
            analysisId: bucket.analysisId,
            createdAt: new Date().toISOString()
          })
        }
      }
      this.send(res, 201, { data: files.map((file) => this.toWire(file)), meta: { total: files.length } })
      return
    }

    const stream = /^\/buckets\/([^/]+)\/stream$/.exec(path)
    if (method === 'GET' && stream !== null) {
      res.writeHead(200, { 'content-type': 'application/x-tar', 'content-length': String(this.streamBody.byteLength) })
      res.end(Buffer.from(this.streamBody))
      return
    }
    void req
    this.send(res, 404, { statusCode: 404, code: 'not_found', message: `Unknown storage route ${path}`, issues: [] })
  }

  private record(res: ServerResponse, status: number, row: Row): void {
    const entity = this.toWire(row)
    this.send(res, status, this.era === 'e4' ? { data: entity, meta: {} } : entity)
  }

  private toWire(row: Row): Row {
    const result: Row = {}
    for (const [key, value] of Object.entries(row)) {
      let wireKey = this.era === 'e3' ? snake(key) : key
      if (this.legacyBucketKey && key === 'bucketId' && 'type' in row) {
        wireKey = this.era === 'e3' ? 'external_id' : 'externalId'
      }
      result[wireKey] = value
    }
    return result
  }

  /** Reads a request body the way the Hub validates it: keys in the other case are dropped. */
  private fromWire(body: Row): Row {
    const result: Row = {}
    for (const [key, value] of Object.entries(body)) {
      const inEraCase = this.era === 'e3' ? key === snake(key) : !key.includes('_')
      if (inEraCase) {
        result[camel(key)] = value
      }
    }
    return result
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(JSON.stringify(body))
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) {
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

export async function startStubHub(era: StubEra): Promise<StubHub> {
  const hub = new StubHub(era)
  await hub.start()
  return hub
}
