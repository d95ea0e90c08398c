// Calls to the Hub core service: nodes, projects, master images, analyses, analysis-nodes,
// analysis buckets and their files, in the canonical model.

import type { CallOptions } from './api.js'
import type { TokenSession } from './auth.js'
import {
  toAnalysis,
  toAnalysisBucket,
  toAnalysisBucketFile,
  toAnalysisNode,
  toMasterImage,
  toNode,
  toProject,
  toProjectNode
} from './entities.js'
import { HubError } from './errors.js'
import { joinUrl, type HubRequest, type RetryClass, type Transport } from './http.js'
import type {
  Analysis,
  AnalysisBucket,
  AnalysisBucketFile,
  AnalysisCommand,
  AnalysisNode,
  Era,
  HubNode,
  MasterImage,
  Project,
  ProjectNode
} from './model.js'
import { PAGE_LIMIT, buildQuery, decodeList, decodeRecord, encodeBody, matchesFilter, type FilterValue, type ListQuery } from './wire.js'

/** Shared state of the core and storage services: the request layer, the token session and the era. */
export interface ServiceContext {
  transport: Transport
  session: TokenSession
  /** Resolves the wire era, probing the version on first use. */
  era(signal?: AbortSignal): Promise<Era>
}

export interface CoreOptions {
  baseUrl: string
  /** Extra attempts for a 404 on GET analysis. */
  notFoundRetries: number
  notFoundGapMs: number
}

/** Guards against a server that ignores `page[offset]` and reports an ever-growing total. */
const MAX_PAGES = 1000

type Row = Record<string, unknown>

export class CoreService {
  constructor(
    private readonly context: ServiceContext,
    private readonly options: CoreOptions
  ) {}

  listNodes(options?: CallOptions): Promise<HubNode[]> {
    return this.list('listNodes', 'nodes', {}, toNode, options)
  }

  async findProject(name: string, options?: CallOptions): Promise<Project | undefined> {
    const projects = await this.list('findProject', 'projects', { filter: { name } }, toProject, options)
    return projects[0]
  }

  async createProject(name: string, options?: CallOptions): Promise<Project> {
    return this.write('createProject', 'POST', 'projects', { name }, toProject, options)
  }

  listProjectNodes(projectId: string, options?: CallOptions): Promise<ProjectNode[]> {
    return this.list('listProjectNodes', 'project-nodes', { filter: { projectId } }, toProjectNode, options)
  }

  /** Adds a node to a project; when the pair exists already (409), returns the existing row. */
  async addProjectNode(projectId: string, nodeId: string, options?: CallOptions): Promise<ProjectNode> {
    try {
      return await this.write('addProjectNode', 'POST', 'project-nodes', { projectId, nodeId }, toProjectNode, options)
    } catch (error) {
      if (!(error instanceof HubError) || error.status !== 409) {
        throw error
      }
      this.context.transport.log('debug', `Node ${nodeId} is already in project ${projectId} (409); reading the existing project-node`)
      const existing = await this.list('listProjectNodes', 'project-nodes', { filter: { projectId, nodeId } }, toProjectNode, options)
      if (existing[0] === undefined) {
        throw error
      }
      return existing[0]
    }
  }

  listMasterImages(options?: CallOptions): Promise<MasterImage[]> {
    return this.list('listMasterImages', 'master-images', {}, toMasterImage, options)
  }

  listAnalyses(projectId: string, options?: CallOptions): Promise<Analysis[]> {
    return this.list('listAnalyses', 'analyses', { filter: { projectId }, sort: ['-createdAt'] }, toAnalysis, options)
  }

  createAnalysis(input: { projectId: string; name: string; masterImageId: string | null }, options?: CallOptions): Promise<Analysis> {
    const body: Row = { projectId: input.projectId, name: input.name }
    // Without an image id the Hub assigns the project's image, which is what null requests.
    if (input.masterImageId !== null) {
      body.masterImageId = input.masterImageId
    }
    return this.write('createAnalysis', 'POST', 'analyses', body, toAnalysis, options)
  }

  async getAnalysis(id: string, options?: CallOptions): Promise<Analysis> {
    const request: HubRequest = {
      operation: 'getAnalysis',
      method: 'GET',
      url: joinUrl(this.options.baseUrl, `analyses/${encodeURIComponent(id)}`),
      retryClass: 'idempotent',
      notFoundRetries: this.options.notFoundRetries,
      notFoundGapMs: this.options.notFoundGapMs,
      signal: options?.signal
    }
    const response = await this.send(request, options)
    return this.context.transport.decode(request, () => toAnalysis(decodeRecord(response, 'an analysis')))
  }

  async deleteAnalysis(id: string, options?: CallOptions): Promise<void> {
    await this.remove('deleteAnalysis', `analyses/${encodeURIComponent(id)}`, options)
  }

  sendCommand(id: string, command: AnalysisCommand, options?: CallOptions): Promise<Analysis> {
    return this.write('sendCommand', 'POST', `analyses/${encodeURIComponent(id)}/command`, { command }, toAnalysis, options)
  }

  listAnalysisNodes(analysisId: string, options?: CallOptions): Promise<AnalysisNode[]> {
    return this.list('listAnalysisNodes', 'analysis-nodes', { filter: { analysisId } }, toAnalysisNode, options)
  }

  /**
   * Adds a node to an analysis. Hub 0.10.1 and later return 201 with the existing row for a
   * duplicate. Older Hubs return 409, and then the existing row is looked up.
   */
  async addAnalysisNode(analysisId: string, nodeId: string, options?: CallOptions): Promise<AnalysisNode> {
    try {
      return await this.write('addAnalysisNode', 'POST', 'analysis-nodes', { analysisId, nodeId }, toAnalysisNode, options)
    } catch (error) {
      if (!(error instanceof HubError) || error.status !== 409) {
        throw error
      }
      this.context.transport.log('debug', `Node ${nodeId} is already in analysis ${analysisId} (409); reading the existing analysis-node`)
      const existing = await this.list('listAnalysisNodes', 'analysis-nodes', { filter: { analysisId, nodeId } }, toAnalysisNode, options)
      if (existing[0] === undefined) {
        throw error
      }
      return existing[0]
    }
  }

  async removeAnalysisNode(id: string, options?: CallOptions): Promise<void> {
    await this.remove('removeAnalysisNode', `analysis-nodes/${encodeURIComponent(id)}`, options)
  }

  listAnalysisBuckets(analysisId: string, options?: CallOptions): Promise<AnalysisBucket[]> {
    return this.list('listAnalysisBuckets', 'analysis-buckets', { filter: { analysisId } }, toAnalysisBucket, options)
  }

  listAnalysisBucketFiles(analysisBucketId: string, options?: CallOptions): Promise<AnalysisBucketFile[]> {
    return this.list('listAnalysisBucketFiles', 'analysis-bucket-files', { filter: { analysisBucketId } }, toAnalysisBucketFile, options)
  }

  markEntrypoint(analysisBucketFileId: string, options?: CallOptions): Promise<AnalysisBucketFile> {
    return this.write('markEntrypoint', 'POST', `analysis-bucket-files/${encodeURIComponent(analysisBucketFileId)}`, { root: true }, toAnalysisBucketFile, options)
  }

  /**
   * Reads every page of a list endpoint and keeps only rows that match the equality filters.
   * The re-check matters because a Hub silently drops filter keys in the wrong case and then
   * returns unfiltered rows.
   */
  private async list<T>(
    operation: string,
    path: string,
    query: Pick<ListQuery, 'filter' | 'sort' | 'include'>,
    convert: (row: Row) => T,
    options: CallOptions | undefined
  ): Promise<T[]> {
    const era = await this.context.era(options?.signal)
    const matches: T[] = []
    let dropped = 0
    let offset = 0

    for (let page = 0; ; page++) {
      if (page >= MAX_PAGES) {
        throw new HubError('protocol', `GET ${path} still had rows after ${MAX_PAGES} pages of ${PAGE_LIMIT}; the server's paging looks broken`, {
          method: 'GET',
          path
        })
      }

      const url = joinUrl(this.options.baseUrl, path)
      url.search = buildQuery({ ...query, limit: PAGE_LIMIT, offset }, era)
      const request: HubRequest = { operation, method: 'GET', url, retryClass: 'idempotent', signal: options?.signal }
      const body = await this.send(request, options)
      const { rows, total } = this.context.transport.decode(request, () => decodeList(body, path))

      for (const row of rows) {
        if (matchesFilter(row, query.filter)) {
          matches.push(this.context.transport.decode(request, () => convert(row)))
        } else {
          dropped += 1
        }
      }

      offset += rows.length
      const morePages = total === undefined ? rows.length >= PAGE_LIMIT : offset < total
      if (rows.length === 0 || !morePages) {
        break
      }
    }

    if (dropped > 0) {
      this.context.transport.log('debug', `GET ${path}: dropped ${dropped} rows that do not match ${describeFilter(query.filter)}; the server ignored the filter`)
    }
    return matches
  }

  private async write<T>(
    operation: string,
    method: 'POST',
    path: string,
    body: Row,
    convert: (row: Row) => T,
    options: CallOptions | undefined
  ): Promise<T> {
    const era = await this.context.era(options?.signal)
    const request: HubRequest = {
      operation,
      method,
      url: joinUrl(this.options.baseUrl, path),
      headers: { 'content-type': 'application/json' },
      body: encodeBody(body, era),
      retryClass: 'write',
      signal: options?.signal
    }
    const response = await this.send(request, options)
    return this.context.transport.decode(request, () => convert(decodeRecord(response, `the ${operation} result`)))
  }

  /** DELETE is idempotent, so a 404 after an earlier attempt that may have landed counts as done. */
  private async remove(operation: string, path: string, options: CallOptions | undefined): Promise<void> {
    const retryClass: RetryClass = 'idempotent'
    try {
      await this.send({ operation, method: 'DELETE', url: joinUrl(this.options.baseUrl, path), retryClass, signal: options?.signal }, options)
    } catch (error) {
      if (error instanceof HubError && error.status === 404 && (error.details.attempts ?? 1) > 1) {
        this.context.transport.log('debug', `DELETE ${path}: 404 after a retry, so an earlier attempt already deleted it`)
        return
      }
      throw error
    }
  }

  private async send(request: Omit<HubRequest, 'headers'> & { headers?: Record<string, string> }, options: CallOptions | undefined): Promise<unknown> {
    const headers = { accept: 'application/json', ...request.headers }
    const response = await this.context.session.send({ ...request, headers, signal: options?.signal })
    return this.context.transport.readJson(response)
  }
}

function describeFilter(filter: Record<string, FilterValue> | undefined): string {
  return Object.entries(filter ?? {})
    .map(([field, value]) => `${field}=${String(value)}`)
    .join(', ')
}
