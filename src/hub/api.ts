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
  ProjectNode
} from './model.js'

/** Per-call options. Every call also has its own timeout inside the client. */
export interface CallOptions {
  signal?: AbortSignal
}

export interface DownloadOptions extends CallOptions {
  /** The download fails with a `protocol` HubError once more bytes than this arrive. */
  maxBytes: number
  /** Absolute deadline (ms since epoch, from the client's clock); also fires on a stalled stream. */
  deadline: number
}

/**
 * The calls a health-check round makes, in the canonical model. Implemented by HubClient
 * (src/hub/client.ts); the round depends only on this interface, so tests can substitute it.
 * Every method throws HubError on failure.
 */
export interface HubApi {
  /** GET {core}/ without credentials; decides the wire era for every later call. */
  detectVersion(options?: CallOptions): Promise<HubVersion>
  /** Password grant against {auth}/token. Later calls renew the token on their own. */
  login(options?: CallOptions): Promise<void>

  listNodes(options?: CallOptions): Promise<HubNode[]>
  findProject(name: string, options?: CallOptions): Promise<Project | undefined>
  createProject(name: string, options?: CallOptions): Promise<Project>
  listProjectNodes(projectId: string, options?: CallOptions): Promise<ProjectNode[]>
  /** Returns the existing project-node when the node is already in the project. */
  addProjectNode(projectId: string, nodeId: string, options?: CallOptions): Promise<ProjectNode>
  listMasterImages(options?: CallOptions): Promise<MasterImage[]>

  listAnalyses(projectId: string, options?: CallOptions): Promise<Analysis[]>
  createAnalysis(
    input: { projectId: string; name: string; masterImageId: string | null },
    options?: CallOptions
  ): Promise<Analysis>
  /** Retries a few transient 404s before it gives up. */
  getAnalysis(id: string, options?: CallOptions): Promise<Analysis>
  deleteAnalysis(id: string, options?: CallOptions): Promise<void>
  sendCommand(id: string, command: AnalysisCommand, options?: CallOptions): Promise<Analysis>

  listAnalysisNodes(analysisId: string, options?: CallOptions): Promise<AnalysisNode[]>
  /** Returns the existing analysis-node when the node is already in the analysis. */
  addAnalysisNode(analysisId: string, nodeId: string, options?: CallOptions): Promise<AnalysisNode>
  removeAnalysisNode(id: string, options?: CallOptions): Promise<void>

  listAnalysisBuckets(analysisId: string, options?: CallOptions): Promise<AnalysisBucket[]>
  listAnalysisBucketFiles(analysisBucketId: string, options?: CallOptions): Promise<AnalysisBucketFile[]>
  /** Sets `root: true` on a bucket-file record (the analysis entrypoint). */
  markEntrypoint(analysisBucketFileId: string, options?: CallOptions): Promise<AnalysisBucketFile>

  /** Multipart upload of one file to {storage}/buckets/:id/upload. */
  uploadFile(bucketId: string, fileName: string, content: Uint8Array, options?: CallOptions): Promise<BucketFile[]>
  /** GET {storage}/buckets/:id/stream: the bucket as an uncompressed tar, read into memory. */
  downloadBucket(bucketId: string, options: DownloadOptions): Promise<Uint8Array>
}
