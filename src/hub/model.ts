// The Hub's entities in one canonical camelCase model. The client converts both wire
// eras (E3 snake_case with bare records, E4 camelCase with {data, meta} envelopes) into
// these types, so no module above src/hub reads a raw Hub response.

/** Wire era: E3 is Hub 0.8.27 to 0.12.x, E4 is Hub 0.13.0 and later. */
export type Era = 'e3' | 'e4'

/** `finished` is the E2 name of `executed`; both mean success. */
export type ProcessStatus = 'starting' | 'started' | 'stopping' | 'stopped' | 'executing' | 'executed' | 'finished' | 'failed'

export type ApprovalStatus = 'approved' | 'rejected'

export type NodeType = 'aggregator' | 'default'

export type AnalysisCommand =
  | 'configurationLock'
  | 'configurationUnlock'
  | 'buildStart'
  | 'buildCheck'
  | 'distributionStart'
  | 'distributionCheck'
  | 'storageCheck'

export type BucketType = 'CODE' | 'RESULT' | 'TEMP'

export interface HubVersion {
  version: string
  era: Era
}

export interface HubNode {
  id: string
  name: string
  type: NodeType
  online: boolean
  hidden: boolean
  registryId: string | null
  realmId: string | null
  createdAt: string
  updatedAt: string
}

export interface Project {
  id: string
  name: string
  displayName: string | null
  masterImageId: string | null
  realmId: string | null
  createdAt: string
  updatedAt: string
}

export interface ProjectNode {
  id: string
  projectId: string
  nodeId: string
  approvalStatus: ApprovalStatus | null
  createdAt: string
  updatedAt: string
}

export interface MasterImage {
  id: string
  name: string
  path: string | null
  virtualPath: string
  groupVirtualPath: string | null
  createdAt: string
  updatedAt: string
}

export interface Analysis {
  id: string
  name: string
  projectId: string
  realmId: string | null
  masterImageId: string | null
  nodes: number
  configurationLocked: boolean
  configurationEntrypointValid: boolean
  buildStatus: ProcessStatus | null
  buildProgress: number | null
  distributionStatus: ProcessStatus | null
  distributionProgress: number | null
  executionStatus: ProcessStatus | null
  executionProgress: number | null
  registryId: string | null
  createdAt: string
  updatedAt: string
}

export interface AnalysisNode {
  id: string
  analysisId: string
  nodeId: string
  approvalStatus: ApprovalStatus | null
  executionStatus: ProcessStatus | null
  executionProgress: number | null
  artifactTag: string | null
  createdAt: string
  updatedAt: string
}

export interface AnalysisBucket {
  /** Core row id, used to filter bucket files. */
  id: string
  type: BucketType
  /** Storage bucket id, used for upload and stream (E2 before v0.8.22 called it external_id). */
  bucketId: string | null
  analysisId: string
  createdAt: string
}

export interface AnalysisBucketFile {
  id: string
  path: string
  root: boolean
  bucketId: string | null
  analysisBucketId: string
  analysisId: string
  createdAt: string
}

/** A file record of the storage service, as returned by an upload. */
export interface BucketFile {
  id: string
  name: string
  path: string
  size: number
  bucketId: string
}

export function isSuccessStatus(status: ProcessStatus | null | undefined): boolean {
  return status === 'executed' || status === 'finished'
}

export function isFailureStatus(status: ProcessStatus | null | undefined): boolean {
  return status === 'failed' || status === 'stopped'
}
