// HubClient: the HubApi over real HTTP. It wires the request layer, the token session, the era
// probe and the core and storage services together and checks its options.

import { systemClock, type Clock } from '../clock.js'
import type { CallOptions, DownloadOptions, HubApi } from './api.js'
import { TokenSession } from './auth.js'
import { CoreService, type ServiceContext } from './core.js'
import { HubError } from './errors.js'
import { Transport, defaultRetryPolicy, joinUrl, silentLogger, type HubLogger, type TransportStats } from './http.js'
import type {
  Analysis,
  AnalysisBucket,
  AnalysisBucketFile,
  AnalysisCommand,
  AnalysisNode,
  BucketFile,
  Era,
  HubNode,
  HubVersion,
  MasterImage,
  Project,
  ProjectNode
} from './model.js'
import { StorageService } from './storage.js'
import { eraOfVersion } from './wire.js'

export interface HubClientOptions {
  /** Authup base URL; may carry a path prefix such as `http://127.0.0.1:3000/auth/`. */
  authUrl: string
  coreUrl: string
  storageUrl: string
  username: string
  password: string
  /** Realm id (UUID, sent as realm_id) or name (sent as realm_name); absent, null or empty means Authup's `master`. */
  realm?: string | null
  clock?: Clock
  /** Timeout of each HTTP attempt in real milliseconds, whatever the clock (default 30000). */
  requestTimeoutMs?: number
  /** Requests in flight at once (default 16). */
  maxConcurrent?: number
  /** Client-side pacing in requests per minute (default 3000, half the Hub's 6000/min user limit). */
  maxRequestsPerMinute?: number
  /** Attempts per request including the first (default 4), and the backoff bounds in milliseconds. */
  retry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number; maxRetryAfterMs?: number }
  /** Extra attempts when GET analysis returns 404 (default 5), `notFoundGapMs` apart (default 2000). */
  notFoundRetries?: number
  notFoundGapMs?: number
  log?: HubLogger
  /** Jitter source in [0, 1) for the backoff (default Math.random); tests fix it. */
  random?: () => number
}

export class HubClient implements HubApi {
  private readonly transport: Transport
  private readonly session: TokenSession
  private readonly core: CoreService
  private readonly storage: StorageService
  private readonly coreUrl: string
  private detected: HubVersion | undefined
  private probing: Promise<HubVersion> | undefined

  constructor(options: HubClientOptions) {
    validateOptions(options)

    const retry = { ...defaultRetryPolicy, ...definedOnly(options.retry ?? {}) }
    this.transport = new Transport({
      clock: options.clock ?? systemClock,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      maxConcurrent: options.maxConcurrent ?? 16,
      maxRequestsPerMinute: options.maxRequestsPerMinute ?? 3000,
      retry,
      log: options.log ?? silentLogger,
      random: options.random ?? Math.random
    })
    this.session = new TokenSession(this.transport, {
      authUrl: options.authUrl,
      username: options.username,
      password: options.password,
      realm: options.realm ?? undefined
    })

    const context: ServiceContext = {
      transport: this.transport,
      session: this.session,
      era: async (signal) => (await this.detectVersion({ signal })).era
    }
    this.coreUrl = options.coreUrl
    this.core = new CoreService(context, {
      baseUrl: options.coreUrl,
      notFoundRetries: options.notFoundRetries ?? 5,
      notFoundGapMs: options.notFoundGapMs ?? 2000
    })
    this.storage = new StorageService(context, options.storageUrl)
  }

  /** Request counters: every HTTP attempt, the retries among them, and attempts per operation. */
  get stats(): TransportStats {
    return this.transport.stats
  }

  /** Wire era, once detectVersion (or the first core call) has probed it. */
  get era(): Era | undefined {
    return this.detected?.era
  }

  get version(): string | undefined {
    return this.detected?.version
  }

  /** Probes `GET {core}/` once; later calls return the stored result. */
  async detectVersion(options?: CallOptions): Promise<HubVersion> {
    if (this.detected !== undefined) {
      return this.detected
    }
    this.probing ??= this.probeVersion(options?.signal).finally(() => {
      this.probing = undefined
    })
    const detected = await this.probing
    return detected
  }

  login(options?: CallOptions): Promise<void> {
    return this.session.login(options?.signal)
  }

  listNodes(options?: CallOptions): Promise<HubNode[]> {
    return this.core.listNodes(options)
  }

  findProject(name: string, options?: CallOptions): Promise<Project | undefined> {
    return this.core.findProject(name, options)
  }

  createProject(name: string, options?: CallOptions): Promise<Project> {
    return this.core.createProject(name, options)
  }

  listProjectNodes(projectId: string, options?: CallOptions): Promise<ProjectNode[]> {
    return this.core.listProjectNodes(projectId, options)
  }

  addProjectNode(projectId: string, nodeId: string, options?: CallOptions): Promise<ProjectNode> {
    return this.core.addProjectNode(projectId, nodeId, options)
  }

  listMasterImages(options?: CallOptions): Promise<MasterImage[]> {
    return this.core.listMasterImages(options)
  }

  listAnalyses(projectId: string, options?: CallOptions): Promise<Analysis[]> {
    return this.core.listAnalyses(projectId, options)
  }

  createAnalysis(input: { projectId: string; name: string; masterImageId: string | null }, options?: CallOptions): Promise<Analysis> {
    return this.core.createAnalysis(input, options)
  }

  getAnalysis(id: string, options?: CallOptions): Promise<Analysis> {
    return this.core.getAnalysis(id, options)
  }

  deleteAnalysis(id: string, options?: CallOptions): Promise<void> {
    return this.core.deleteAnalysis(id, options)
  }

  sendCommand(id: string, command: AnalysisCommand, options?: CallOptions): Promise<Analysis> {
    return this.core.sendCommand(id, command, options)
  }

  listAnalysisNodes(analysisId: string, options?: CallOptions): Promise<AnalysisNode[]> {
    return this.core.listAnalysisNodes(analysisId, options)
  }

  addAnalysisNode(analysisId: string, nodeId: string, options?: CallOptions): Promise<AnalysisNode> {
    return this.core.addAnalysisNode(analysisId, nodeId, options)
  }

  removeAnalysisNode(id: string, options?: CallOptions): Promise<void> {
    return this.core.removeAnalysisNode(id, options)
  }

  listAnalysisBuckets(analysisId: string, options?: CallOptions): Promise<AnalysisBucket[]> {
    return this.core.listAnalysisBuckets(analysisId, options)
  }

  listAnalysisBucketFiles(analysisBucketId: string, options?: CallOptions): Promise<AnalysisBucketFile[]> {
    return this.core.listAnalysisBucketFiles(analysisBucketId, options)
  }

  markEntrypoint(analysisBucketFileId: string, options?: CallOptions): Promise<AnalysisBucketFile> {
    return this.core.markEntrypoint(analysisBucketFileId, options)
  }

  uploadFile(bucketId: string, fileName: string, content: Uint8Array, options?: CallOptions): Promise<BucketFile[]> {
    return this.storage.uploadFile(bucketId, fileName, content, options)
  }

  downloadBucket(bucketId: string, options: DownloadOptions): Promise<Uint8Array> {
    return this.storage.downloadBucket(bucketId, options)
  }

  private async probeVersion(signal: AbortSignal | undefined): Promise<HubVersion> {
    const response = await this.transport.send({
      operation: 'detectVersion',
      method: 'GET',
      url: joinUrl(this.coreUrl, ''),
      headers: { accept: 'application/json' },
      retryClass: 'idempotent',
      signal
    })
    const body = await this.transport.readJson(response)

    // The version body is flat in every era; tolerate an envelope anyway.
    const record = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {}
    const inner = record.data !== null && typeof record.data === 'object' ? (record.data as Record<string, unknown>) : record
    const version = inner.version
    if (typeof version !== 'string') {
      throw new HubError('protocol', `GET ${response.request.url.pathname} did not return a version; is ${this.coreUrl} the Hub core URL?`, {
        method: 'GET',
        path: response.request.url.pathname
      })
    }

    const detected: HubVersion = { version, era: eraOfVersion(version) }
    this.detected = detected
    this.transport.log('info', `Hub core ${version} speaks wire era ${detected.era}`)
    return detected
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>
}

/** Rejects unusable options with a message that names the option, the value and the fix. */
function validateOptions(options: HubClientOptions): void {
  for (const key of ['authUrl', 'coreUrl', 'storageUrl'] as const) {
    const value = options[key]
    if (typeof value !== 'string' || value.trim() === '') {
      throw new Error(`HubClient option ${key} is missing; pass the service's base URL, for example http://127.0.0.1:3000/core/`)
    }
    // joinUrl names the bad value and the expected form.
    joinUrl(value, '')
  }

  if (typeof options.username !== 'string' || options.username.trim() === '') {
    throw new Error('HubClient option username is missing or empty; pass the Hub user name')
  }
  if (typeof options.password !== 'string' || options.password === '') {
    throw new Error('HubClient option password is missing or empty; pass the Hub user password')
  }

  const positive: Array<[string, number | undefined]> = [
    ['requestTimeoutMs', options.requestTimeoutMs],
    ['maxConcurrent', options.maxConcurrent],
    ['maxRequestsPerMinute', options.maxRequestsPerMinute],
    ['retry.attempts', options.retry?.attempts]
  ]
  for (const [name, value] of positive) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw new Error(`HubClient option ${name} must be a positive number, got ${String(value)}`)
    }
  }

  const nonNegative: Array<[string, number | undefined]> = [
    ['retry.baseDelayMs', options.retry?.baseDelayMs],
    ['retry.maxDelayMs', options.retry?.maxDelayMs],
    ['retry.maxRetryAfterMs', options.retry?.maxRetryAfterMs],
    ['notFoundRetries', options.notFoundRetries],
    ['notFoundGapMs', options.notFoundGapMs]
  ]
  for (const [name, value] of nonNegative) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      throw new Error(`HubClient option ${name} must be zero or a positive number, got ${String(value)}`)
    }
  }
}
