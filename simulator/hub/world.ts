// The simulated Hub's state: core entities in canonical camelCase (as E4 sends them) and the storage
// service's buckets. Routes and the lifecycle change it, and tests read it through HubSimulator.world.

import { randomBytes, randomUUID } from 'node:crypto'

export type ProcessStatus = 'starting' | 'started' | 'stopping' | 'stopped' | 'executing' | 'executed' | 'failed'
export type Approval = 'approved' | 'rejected' | null
export type BucketType = 'CODE' | 'RESULT' | 'TEMP'

export interface Registry {
  id: string
  name: string
  host: string
  createdAt: string
  updatedAt: string
}

export interface NodeEntity {
  id: string
  name: string
  externalName: string | null
  publicKey: string | null
  hidden: boolean
  type: 'aggregator' | 'default'
  online: boolean
  registryId: string | null
  registryProjectId: string | null
  clientId: string | null
  robotId: string | null
  realmId: string
  createdAt: string
  updatedAt: string
}

export interface MasterImageEntity {
  id: string
  name: string
  path: string | null
  virtualPath: string
  groupVirtualPath: string
  command: string | null
  commandArguments: Array<{ value: string; position?: 'before' | 'after' }> | null
  buildStatus: ProcessStatus | null
  buildProgress: number | null
  buildHash: string | null
  buildSize: number | null
  createdAt: string
  updatedAt: string
}

export interface ProjectEntity {
  id: string
  name: string
  displayName: string | null
  description: string | null
  nodes: number
  analyses: number
  realmId: string
  userId: string | null
  clientId: string | null
  robotId: string | null
  masterImageId: string | null
  createdAt: string
  updatedAt: string
}

export interface ProjectNodeEntity {
  id: string
  approvalStatus: Approval
  comment: string | null
  projectId: string
  projectRealmId: string
  nodeId: string
  nodeRealmId: string
  createdAt: string
  updatedAt: string
}

export interface AnalysisEntity {
  id: string
  name: string
  displayName: string | null
  description: string | null
  nodes: number
  nodesApproved: number
  configurationLocked: boolean
  configurationEntrypointValid: boolean
  configurationImageValid: boolean
  configurationNodeAggregatorValid: boolean
  configurationNodeDefaultValid: boolean
  configurationNodesValid: boolean
  buildStatus: ProcessStatus | null
  buildNodesValid: boolean
  buildProgress: number | null
  buildHash: string | null
  buildOs: string | null
  buildSize: number | null
  distributionStatus: ProcessStatus | null
  distributionProgress: number | null
  executionStatus: ProcessStatus | null
  executionProgress: number | null
  registryId: string | null
  clientId: string | null
  realmId: string
  userId: string
  projectId: string
  masterImageId: string | null
  imageCommandArguments: Array<{ value: string; position?: 'before' | 'after' }> | null
  createdAt: string
  updatedAt: string
}

export interface AnalysisNodeEntity {
  id: string
  approvalStatus: Approval
  executionStatus: ProcessStatus | null
  executionProgress: number | null
  comment: string | null
  artifactTag: string | null
  artifactDigest: string | null
  analysisId: string
  analysisRealmId: string
  nodeId: string
  nodeRealmId: string
  createdAt: string
  updatedAt: string
}

export interface AnalysisBucketEntity {
  id: string
  type: BucketType
  bucketId: string
  analysisId: string
  realmId: string
  createdAt: string
  updatedAt: string
}

export interface AnalysisBucketFileEntity {
  id: string
  path: string
  root: boolean
  bucketId: string
  bucketFileId: string
  analysisBucketId: string
  analysisId: string
  realmId: string
  userId: string | null
  clientId: string | null
  robotId: string | null
  createdAt: string
  updatedAt: string
}

export interface AnalysisNodeLogEntity {
  time: string
  message: string
  service: string
  channel: 'stdout' | 'stderr' | 'system'
  level: 'info' | 'error'
  labels: { analysisId: string; nodeId: string }
  analysisId: string
  nodeId: string
}

export interface StorageBucketEntity {
  id: string
  name: string
  region: string | null
  actorId: string | null
  actorType: string | null
  realmId: string | null
  createdAt: string
  updatedAt: string
}

export interface StorageFileEntity {
  id: string
  name: string
  path: string
  directory: string
  hash: string
  size: number
  actorType: string
  actorId: string
  realmId: string
  bucketId: string
  createdAt: string
  updatedAt: string
}

export interface UserEntity {
  id: string
  name: string
  password: string
  realmId: string
  realmName: string
}

/** Returns the current time as an ISO-8601 string, as the Hub writes timestamps. */
export function isoNow(): string {
  return new Date().toISOString()
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex')
}

/** The whole simulated state. Maps are keyed by entity id. */
export class HubWorld {
  readonly realmId = randomUUID()
  readonly realmName = 'master'
  users = new Map<string, UserEntity>()
  registries = new Map<string, Registry>()
  nodes = new Map<string, NodeEntity>()
  masterImages = new Map<string, MasterImageEntity>()
  projects = new Map<string, ProjectEntity>()
  projectNodes = new Map<string, ProjectNodeEntity>()
  analyses = new Map<string, AnalysisEntity>()
  analysisNodes = new Map<string, AnalysisNodeEntity>()
  analysisBuckets = new Map<string, AnalysisBucketEntity>()
  analysisBucketFiles = new Map<string, AnalysisBucketFileEntity>()
  analysisNodeLogs: AnalysisNodeLogEntity[] = []
  storageBuckets = new Map<string, StorageBucketEntity>()
  storageFiles = new Map<string, StorageFileEntity>()
  /** File contents, keyed by storage file id. */
  storageContents = new Map<string, Buffer>()

  nodeByName(name: string): NodeEntity | undefined {
    return [...this.nodes.values()].find((node) => node.name === name)
  }

  /** Finds a storage bucket by id or by name, because storage accepts either in its paths. */
  storageBucket(idOrName: string): StorageBucketEntity | undefined {
    return this.storageBuckets.get(idOrName) ?? [...this.storageBuckets.values()].find((bucket) => bucket.name === idOrName)
  }

  filesOfStorageBucket(bucketId: string): StorageFileEntity[] {
    return [...this.storageFiles.values()].filter((file) => file.bucketId === bucketId)
  }

  nodesOfAnalysis(analysisId: string): AnalysisNodeEntity[] {
    return [...this.analysisNodes.values()].filter((row) => row.analysisId === analysisId)
  }

  bucketOfAnalysis(analysisId: string, type: BucketType): AnalysisBucketEntity | undefined {
    return [...this.analysisBuckets.values()].find((bucket) => bucket.analysisId === analysisId && bucket.type === type)
  }

  addRegistry(name: string): Registry {
    const now = isoNow()
    const registry: Registry = { id: randomUUID(), name, host: `${name}.registry.invalid`, createdAt: now, updatedAt: now }
    this.registries.set(registry.id, registry)
    return registry
  }

  addNode(name: string, type: 'aggregator' | 'default', withRegistry: boolean): NodeEntity {
    const now = isoNow()
    const registry = withRegistry ? this.addRegistry(`registry-${name}`) : undefined
    const node: NodeEntity = {
      id: randomUUID(),
      name,
      externalName: null,
      publicKey: null,
      hidden: false,
      type,
      online: false,
      registryId: registry?.id ?? null,
      registryProjectId: registry === undefined ? null : randomUUID(),
      clientId: randomUUID(),
      robotId: null,
      realmId: randomUUID(),
      createdAt: now,
      updatedAt: now
    }
    this.nodes.set(node.id, node)
    return node
  }

  addMasterImage(virtualPath: string): MasterImageEntity {
    const now = isoNow()
    const slash = virtualPath.lastIndexOf('/')
    const image: MasterImageEntity = {
      id: randomUUID(),
      name: virtualPath.slice(slash + 1),
      path: `data/${virtualPath}`,
      virtualPath,
      groupVirtualPath: virtualPath.slice(0, Math.max(0, slash)),
      command: 'python',
      commandArguments: null,
      buildStatus: 'executed',
      buildProgress: 100,
      buildHash: randomHex(32),
      buildSize: 412_000_000,
      createdAt: now,
      updatedAt: now
    }
    this.masterImages.set(image.id, image)
    return image
  }

  addStorageBucket(name: string, actorId: string): StorageBucketEntity {
    const now = isoNow()
    const bucket: StorageBucketEntity = {
      id: randomUUID(),
      name,
      region: null,
      actorId,
      actorType: 'user',
      realmId: this.realmId,
      createdAt: now,
      updatedAt: now
    }
    this.storageBuckets.set(bucket.id, bucket)
    return bucket
  }

  addStorageFile(bucket: StorageBucketEntity, path: string, content: Buffer, actorId: string): StorageFileEntity {
    const now = isoNow()
    const slash = path.lastIndexOf('/')
    const file: StorageFileEntity = {
      id: randomUUID(),
      name: path.slice(slash + 1),
      path,
      directory: slash < 0 ? '.' : path.slice(0, slash),
      hash: randomHex(32),
      size: content.length,
      actorType: 'user',
      actorId,
      realmId: this.realmId,
      bucketId: bucket.id,
      createdAt: now,
      updatedAt: now
    }
    this.storageFiles.set(file.id, file)
    this.storageContents.set(file.id, content)
    return file
  }

  /** Recomputes the analysis flags that the server derives from its nodes, files and image. */
  recalculateAnalysis(analysis: AnalysisEntity): void {
    const rows = this.nodesOfAnalysis(analysis.id)
    const types = rows.map((row) => this.nodes.get(row.nodeId)?.type)
    const codeBucket = this.bucketOfAnalysis(analysis.id, 'CODE')

    analysis.nodes = rows.length
    analysis.nodesApproved = rows.filter((row) => row.approvalStatus === 'approved').length
    analysis.configurationNodeAggregatorValid = types.includes('aggregator')
    analysis.configurationNodeDefaultValid = types.includes('default')
    analysis.configurationNodesValid = analysis.configurationNodeAggregatorValid && analysis.configurationNodeDefaultValid
    analysis.configurationImageValid = analysis.masterImageId !== null
    analysis.configurationEntrypointValid =
      codeBucket !== undefined &&
      [...this.analysisBucketFiles.values()].some((file) => file.analysisBucketId === codeBucket.id && file.root)
    analysis.buildNodesValid = rows.length > 0 && analysis.nodesApproved === rows.length
    analysis.executionStatus = deriveExecutionStatus(rows)
    analysis.executionProgress = deriveExecutionProgress(rows)
  }
}

const statusRank: Record<ProcessStatus, number> = {
  failed: -1,
  starting: 0,
  started: 1,
  stopping: 2,
  stopped: 3,
  executing: 4,
  executed: 5
}

/** Derives the analysis status: the lowest-ranked node status, where `failed` wins and null nodes are ignored. */
export function deriveExecutionStatus(rows: AnalysisNodeEntity[]): ProcessStatus | null {
  let lowest: ProcessStatus | null = null
  for (const row of rows) {
    const status = row.executionStatus
    if (status === null) continue
    if (status === 'failed') return 'failed'
    if (lowest === null || statusRank[status] < statusRank[lowest]) lowest = status
  }
  return lowest
}

function deriveExecutionProgress(rows: AnalysisNodeEntity[]): number | null {
  const values = rows.map((row) => row.executionProgress).filter((value): value is number => value !== null)
  if (values.length === 0) return null
  return Math.floor(values.reduce((sum, value) => sum + value, 0) / values.length)
}
