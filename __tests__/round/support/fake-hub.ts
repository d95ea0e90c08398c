// An in-memory HubApi for unit tests of the round. Time-driven like the real Hub (buckets
// appear, builds finish, nodes execute after set delays on the injected clock), so the
// round's waits and polls run for real against it. The integration tests use the real
// simulator and HubClient instead.

import type { Clock } from '../../../src/clock.js'
import type { CallOptions, DownloadOptions, HubApi } from '../../../src/hub/api.js'
import { HubError } from '../../../src/hub/errors.js'
import type {
  Analysis,
  AnalysisBucket,
  AnalysisBucketFile,
  AnalysisCommand,
  AnalysisNode,
  BucketFile,
  HubNode,
  HubVersion,
  MasterImage,
  Project,
  ProjectNode,
  ProcessStatus
} from '../../../src/hub/model.js'
import { buildTar, payloadJson } from './tar-builder.js'

export interface FakeHubOptions {
  clock: Clock
  nodes?: HubNode[]
  bucketDelayMs?: number
  /** Delay of the bucket-file record after an upload. */
  fileDelayMs?: number
  buildMs?: number
  distributionMs?: number
  executionMs?: number
  buildStatusAtEnd?: ProcessStatus
  /** Node name whose analysis-node ends in `failed`. */
  executionFailsOn?: string
  /** Never create buckets (until storageCheck when `bucketsAfterStorageCheck`). */
  bucketsMissing?: boolean
  bucketsAfterStorageCheck?: boolean
  /** Replaces the RESULT tar of a finished analysis. */
  resultTar?: (nodeIds: string[]) => Uint8Array
  /** Methods that throw this error (every call, or the first `times` calls). */
  failures?: Partial<Record<keyof HubApi, { error: HubError; times?: number }>>
  /** Milliseconds every login takes. */
  loginMs?: number
  /** Milliseconds the version probe takes. */
  probeMs?: number
  /** A command the Hub rejects with this error. */
  rejectCommand?: { command: AnalysisCommand; error: HubError }
  /** Approval of new default-node project memberships (default approved). */
  projectApproval?: ProjectNode['approvalStatus']
}

interface AnalysisState {
  analysis: Analysis
  nodes: AnalysisNode[]
  buckets: AnalysisBucket[]
  bucketsAt: number | null
  files: { record: AnalysisBucketFile; visibleAt: number }[]
  buildStartedAt: number | null
  distributionStartedAt: number | null
  /** Time the analysis-node of each node id reaches its end state. */
  executionEndsAt: number | null
}

const ISO_START = '2026-12-04T12:00:00.000Z'

export function hubNode(name: string, type: HubNode['type'] = 'default', extra: Partial<HubNode> = {}): HubNode {
  return {
    id: `id-${name}`,
    name,
    type,
    online: false,
    hidden: false,
    registryId: 'registry-1',
    realmId: 'realm-1',
    createdAt: ISO_START,
    updatedAt: ISO_START,
    ...extra
  }
}

export const DEFAULT_NODES = [hubNode('aggregator-1', 'aggregator'), hubNode('default-1'), hubNode('default-2')]

export class FakeHub implements HubApi {
  readonly calls: string[] = []
  readonly projects: Project[] = []
  readonly projectNodes: ProjectNode[] = []
  readonly analyses = new Map<string, AnalysisState>()
  readonly deleted: string[] = []
  private sequence = 0
  private readonly failureCounts = new Map<string, number>()

  constructor(private readonly options: FakeHubOptions) {}

  private get clock(): Clock {
    return this.options.clock
  }

  private get nodes(): HubNode[] {
    return this.options.nodes ?? DEFAULT_NODES
  }

  private record(method: keyof HubApi, options?: CallOptions): void {
    options?.signal?.throwIfAborted()
    this.calls.push(method)
    const failure = this.options.failures?.[method]
    if (failure === undefined) return
    const count = (this.failureCounts.get(method) ?? 0) + 1
    this.failureCounts.set(method, count)
    if (failure.times === undefined || count <= failure.times) throw failure.error
  }

  count(method: keyof HubApi): number {
    return this.calls.filter((call) => call === method).length
  }

  private id(prefix: string): string {
    this.sequence += 1
    return `${prefix}-${this.sequence}`
  }

  private iso(): string {
    return new Date(this.clock.now()).toISOString()
  }

  async detectVersion(options?: CallOptions): Promise<HubVersion> {
    this.record('detectVersion', options)
    if (this.options.probeMs) await this.clock.sleep(this.options.probeMs, options?.signal)
    return { version: '0.14.0', era: 'e4' }
  }

  async login(options?: CallOptions): Promise<void> {
    this.record('login', options)
    if (this.options.loginMs) await this.clock.sleep(this.options.loginMs, options?.signal)
  }

  async listNodes(options?: CallOptions): Promise<HubNode[]> {
    this.record('listNodes', options)
    return [...this.nodes]
  }

  async findProject(name: string, options?: CallOptions): Promise<Project | undefined> {
    this.record('findProject', options)
    return this.projects.find((project) => project.name === name)
  }

  async createProject(name: string, options?: CallOptions): Promise<Project> {
    this.record('createProject', options)
    const project: Project = {
      id: this.id('project'),
      name: name.toLowerCase(),
      displayName: null,
      masterImageId: null,
      realmId: 'realm-1',
      createdAt: this.iso(),
      updatedAt: this.iso()
    }
    this.projects.push(project)
    return project
  }

  async listProjectNodes(projectId: string, options?: CallOptions): Promise<ProjectNode[]> {
    this.record('listProjectNodes', options)
    return this.projectNodes.filter((member) => member.projectId === projectId)
  }

  async addProjectNode(projectId: string, nodeId: string, options?: CallOptions): Promise<ProjectNode> {
    this.record('addProjectNode', options)
    const isAggregator = this.nodes.find((node) => node.id === nodeId)?.type === 'aggregator'
    const member: ProjectNode = {
      id: this.id('project-node'),
      projectId,
      nodeId,
      approvalStatus: isAggregator || this.options.projectApproval === undefined ? 'approved' : this.options.projectApproval,
      createdAt: this.iso(),
      updatedAt: this.iso()
    }
    this.projectNodes.push(member)
    return member
  }

  async listMasterImages(options?: CallOptions): Promise<MasterImage[]> {
    this.record('listMasterImages', options)
    return ['python/base', 'python/slim'].map((virtualPath, index) => ({
      id: `image-${index + 1}`,
      name: virtualPath,
      path: null,
      virtualPath,
      groupVirtualPath: 'python',
      createdAt: ISO_START,
      updatedAt: ISO_START
    }))
  }

  async listAnalyses(projectId: string, options?: CallOptions): Promise<Analysis[]> {
    this.record('listAnalyses', options)
    return [...this.analyses.values()].map((state) => state.analysis).filter((analysis) => analysis.projectId === projectId)
  }

  /** Add an analysis created `ageMs` ago, as a leftover of an earlier round. */
  addOldAnalysis(projectId: string, ageMs: number): Analysis {
    const analysis = this.newAnalysis(projectId, 'old-analysis', null)
    analysis.createdAt = new Date(this.clock.now() - ageMs).toISOString()
    return analysis
  }

  async createAnalysis(
    input: { projectId: string; name: string; masterImageId: string | null },
    options?: CallOptions
  ): Promise<Analysis> {
    this.record('createAnalysis', options)
    return { ...this.newAnalysis(input.projectId, input.name, input.masterImageId) }
  }

  private newAnalysis(projectId: string, name: string, masterImageId: string | null): Analysis {
    const analysis: Analysis = {
      id: this.id('analysis'),
      name,
      projectId,
      realmId: 'realm-1',
      masterImageId,
      nodes: 0,
      configurationLocked: false,
      configurationEntrypointValid: false,
      buildStatus: null,
      buildProgress: null,
      distributionStatus: null,
      distributionProgress: null,
      executionStatus: null,
      executionProgress: null,
      registryId: null,
      createdAt: this.iso(),
      updatedAt: this.iso()
    }
    // Like the Hub: every approved project member is seeded as an analysis-node.
    const seeded = this.projectNodes
      .filter((member) => member.projectId === projectId && member.approvalStatus === 'approved')
      .map((member) => this.newAnalysisNode(analysis.id, member.nodeId))
    this.analyses.set(analysis.id, {
      analysis,
      nodes: seeded,
      buckets: [],
      bucketsAt: this.options.bucketsMissing ? null : this.clock.now() + (this.options.bucketDelayMs ?? 500),
      files: [],
      buildStartedAt: null,
      distributionStartedAt: null,
      executionEndsAt: null
    })
    return analysis
  }

  private newAnalysisNode(analysisId: string, nodeId: string): AnalysisNode {
    return {
      id: this.id('analysis-node'),
      analysisId,
      nodeId,
      approvalStatus: 'approved',
      executionStatus: null,
      executionProgress: null,
      artifactTag: null,
      createdAt: this.iso(),
      updatedAt: this.iso()
    }
  }

  private state(id: string): AnalysisState {
    const state = this.analyses.get(id)
    if (state === undefined) throw new HubError('http', `GET /analyses/${id} failed with 404`, { status: 404 })
    this.advance(state)
    return state
  }

  /** Bring an analysis up to the clock's time. */
  private advance(state: AnalysisState): void {
    const now = this.clock.now()
    const { analysis } = state

    if (state.bucketsAt !== null && now >= state.bucketsAt && state.buckets.length === 0) {
      state.buckets = (['CODE', 'RESULT', 'TEMP'] as const).map((type) => ({
        id: this.id(`bucket-row-${type}`),
        type,
        bucketId: this.id(`bucket-${type}`),
        analysisId: analysis.id,
        createdAt: this.iso()
      }))
    }

    if (state.buildStartedAt !== null) {
      const done = now >= state.buildStartedAt + (this.options.buildMs ?? 3000)
      analysis.buildStatus = done ? (this.options.buildStatusAtEnd ?? 'executed') : 'started'
      analysis.buildProgress = done ? 100 : 50
    }

    if (state.distributionStartedAt !== null) {
      const done = now >= state.distributionStartedAt + (this.options.distributionMs ?? 2000)
      analysis.distributionStatus = done ? 'executed' : 'started'
      analysis.distributionProgress = done ? 100 : 30
      analysis.registryId = 'registry-1'
      if (done && state.executionEndsAt === null) {
        state.executionEndsAt = state.distributionStartedAt + (this.options.distributionMs ?? 2000) + (this.options.executionMs ?? 4000)
        for (const node of state.nodes) node.artifactTag = 'latest'
      }
    }

    if (state.executionEndsAt !== null) {
      const done = now >= state.executionEndsAt
      for (const node of state.nodes) {
        const name = this.nodes.find((candidate) => candidate.id === node.nodeId)?.name
        const endStatus = name === this.options.executionFailsOn ? 'failed' : 'executed'
        node.executionStatus = done ? endStatus : 'executing'
        node.executionProgress = done ? 100 : 50
      }
    }
  }

  async getAnalysis(id: string, options?: CallOptions): Promise<Analysis> {
    this.record('getAnalysis', options)
    return { ...this.state(id).analysis }
  }

  async deleteAnalysis(id: string, options?: CallOptions): Promise<void> {
    this.record('deleteAnalysis', options)
    if (!this.analyses.delete(id)) throw new HubError('http', `DELETE /analyses/${id} failed with 404`, { status: 404 })
    this.deleted.push(id)
  }

  async sendCommand(id: string, command: AnalysisCommand, options?: CallOptions): Promise<Analysis> {
    this.record('sendCommand', options)
    this.calls.push(`command:${command}`)
    if (this.options.rejectCommand?.command === command) throw this.options.rejectCommand.error
    const state = this.state(id)
    const now = this.clock.now()
    if (command === 'configurationLock') state.analysis.configurationLocked = true
    if (command === 'buildStart') state.buildStartedAt = now
    if (command === 'distributionStart') state.distributionStartedAt = now
    if (command === 'storageCheck' && this.options.bucketsAfterStorageCheck) state.bucketsAt = now + 100
    return { ...state.analysis }
  }

  async listAnalysisNodes(analysisId: string, options?: CallOptions): Promise<AnalysisNode[]> {
    this.record('listAnalysisNodes', options)
    return this.state(analysisId).nodes.map((node) => ({ ...node }))
  }

  async addAnalysisNode(analysisId: string, nodeId: string, options?: CallOptions): Promise<AnalysisNode> {
    this.record('addAnalysisNode', options)
    const node = this.newAnalysisNode(analysisId, nodeId)
    this.state(analysisId).nodes.push(node)
    return node
  }

  async removeAnalysisNode(id: string, options?: CallOptions): Promise<void> {
    this.record('removeAnalysisNode', options)
    for (const state of this.analyses.values()) state.nodes = state.nodes.filter((node) => node.id !== id)
  }

  async listAnalysisBuckets(analysisId: string, options?: CallOptions): Promise<AnalysisBucket[]> {
    this.record('listAnalysisBuckets', options)
    return [...this.state(analysisId).buckets]
  }

  async listAnalysisBucketFiles(analysisBucketId: string, options?: CallOptions): Promise<AnalysisBucketFile[]> {
    this.record('listAnalysisBucketFiles', options)
    const now = this.clock.now()
    return [...this.analyses.values()]
      .flatMap((state) => state.files)
      .filter((file) => file.record.analysisBucketId === analysisBucketId && now >= file.visibleAt)
      .map((file) => ({ ...file.record }))
  }

  async markEntrypoint(analysisBucketFileId: string, options?: CallOptions): Promise<AnalysisBucketFile> {
    this.record('markEntrypoint', options)
    for (const state of this.analyses.values()) {
      const file = state.files.find((candidate) => candidate.record.id === analysisBucketFileId)
      if (file !== undefined) {
        file.record.root = true
        state.analysis.configurationEntrypointValid = true
        return { ...file.record }
      }
    }
    throw new HubError('http', `POST /analysis-bucket-files/${analysisBucketFileId} failed with 404`, { status: 404 })
  }

  async uploadFile(bucketId: string, fileName: string, content: Uint8Array, options?: CallOptions): Promise<BucketFile[]> {
    this.record('uploadFile', options)
    for (const state of this.analyses.values()) {
      const bucket = state.buckets.find((candidate) => candidate.bucketId === bucketId)
      if (bucket === undefined) continue
      state.files.push({
        record: {
          id: this.id('bucket-file'),
          path: fileName,
          root: false,
          bucketId,
          analysisBucketId: bucket.id,
          analysisId: state.analysis.id,
          createdAt: this.iso()
        },
        visibleAt: this.clock.now() + (this.options.fileDelayMs ?? 300)
      })
      return [{ id: this.id('file'), name: fileName, path: fileName, size: content.byteLength, bucketId }]
    }
    throw new HubError('http', `POST /buckets/${bucketId}/upload failed with 404`, { status: 404 })
  }

  async downloadBucket(bucketId: string, options: DownloadOptions): Promise<Uint8Array> {
    this.record('downloadBucket', options)
    for (const state of this.analyses.values()) {
      if (!state.buckets.some((bucket) => bucket.bucketId === bucketId)) continue
      const finished = state.executionEndsAt !== null && this.clock.now() >= state.executionEndsAt
      const nodeIds = state.nodes.map((node) => node.nodeId)
      if (!finished) return buildTar([]).subarray(0, 1024)
      const bytes = this.options.resultTar?.(nodeIds) ?? buildTar([{ path: 'result_ab12_261204120000', content: payloadJson(Object.fromEntries(nodeIds.map((id) => [id, 'ok']))) }])
      if (bytes.byteLength > options.maxBytes) {
        throw new HubError('protocol', `GET /buckets/${bucketId}/stream exceeded ${options.maxBytes} bytes`)
      }
      return bytes
    }
    throw new HubError('http', `GET /buckets/${bucketId}/stream failed with 404`, { status: 404 })
  }
}
