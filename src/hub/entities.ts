// Conversion of decoded (camelCase) Hub rows into the canonical model. Optional fields the
// era does not send get neutral defaults; a missing id or an unknown status is a protocol error.

import { HubError } from './errors.js'
import type {
  Analysis,
  AnalysisBucket,
  AnalysisBucketFile,
  AnalysisNode,
  ApprovalStatus,
  BucketFile,
  BucketType,
  HubNode,
  MasterImage,
  NodeType,
  ProcessStatus,
  Project,
  ProjectNode
} from './model.js'

type Row = Record<string, unknown>

const PROCESS_STATUSES: readonly ProcessStatus[] = ['starting', 'started', 'stopping', 'stopped', 'executing', 'executed', 'finished', 'failed']
const BUCKET_TYPES: readonly BucketType[] = ['CODE', 'RESULT', 'TEMP']

function requiredString(row: Row, field: string, entity: string): string {
  const value = row[field]
  if (typeof value !== 'string' || value === '') {
    throw new HubError('protocol', `The Hub sent ${entity} without a valid "${field}" (got ${JSON.stringify(value) ?? 'undefined'})`)
  }
  return value
}

function optionalString(row: Row, field: string): string | null {
  const value = row[field]
  return typeof value === 'string' ? value : null
}

function flag(row: Row, field: string): boolean {
  return row[field] === true
}

function optionalNumber(row: Row, field: string): number | null {
  const value = row[field]
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

function processStatus(row: Row, field: string, entity: string): ProcessStatus | null {
  const value = row[field]
  if (value === null || value === undefined) {
    return null
  }
  if (typeof value === 'string' && (PROCESS_STATUSES as readonly string[]).includes(value)) {
    return value as ProcessStatus
  }
  throw new HubError('protocol', `The Hub sent ${entity} with unknown ${field} ${JSON.stringify(value)}; expected one of ${PROCESS_STATUSES.join(', ')} or null`)
}

function approvalStatus(row: Row): ApprovalStatus | null {
  const value = row.approvalStatus
  return value === 'approved' || value === 'rejected' ? value : null
}

export function toNode(row: Row): HubNode {
  const type: NodeType = row.type === 'aggregator' ? 'aggregator' : 'default'
  return {
    id: requiredString(row, 'id', 'a node'),
    name: requiredString(row, 'name', 'a node'),
    type,
    online: flag(row, 'online'),
    hidden: flag(row, 'hidden'),
    registryId: optionalString(row, 'registryId'),
    realmId: optionalString(row, 'realmId'),
    createdAt: optionalString(row, 'createdAt') ?? '',
    updatedAt: optionalString(row, 'updatedAt') ?? ''
  }
}

export function toProject(row: Row): Project {
  return {
    id: requiredString(row, 'id', 'a project'),
    name: requiredString(row, 'name', 'a project'),
    displayName: optionalString(row, 'displayName'),
    masterImageId: optionalString(row, 'masterImageId'),
    realmId: optionalString(row, 'realmId'),
    createdAt: optionalString(row, 'createdAt') ?? '',
    updatedAt: optionalString(row, 'updatedAt') ?? ''
  }
}

export function toProjectNode(row: Row): ProjectNode {
  return {
    id: requiredString(row, 'id', 'a project-node'),
    projectId: requiredString(row, 'projectId', 'a project-node'),
    nodeId: requiredString(row, 'nodeId', 'a project-node'),
    approvalStatus: approvalStatus(row),
    createdAt: optionalString(row, 'createdAt') ?? '',
    updatedAt: optionalString(row, 'updatedAt') ?? ''
  }
}

export function toMasterImage(row: Row): MasterImage {
  return {
    id: requiredString(row, 'id', 'a master image'),
    name: optionalString(row, 'name') ?? '',
    path: optionalString(row, 'path'),
    virtualPath: optionalString(row, 'virtualPath') ?? '',
    groupVirtualPath: optionalString(row, 'groupVirtualPath'),
    createdAt: optionalString(row, 'createdAt') ?? '',
    updatedAt: optionalString(row, 'updatedAt') ?? ''
  }
}

export function toAnalysis(row: Row): Analysis {
  const entity = 'an analysis'
  return {
    id: requiredString(row, 'id', entity),
    name: optionalString(row, 'name') ?? '',
    projectId: requiredString(row, 'projectId', entity),
    realmId: optionalString(row, 'realmId'),
    masterImageId: optionalString(row, 'masterImageId'),
    nodes: optionalNumber(row, 'nodes') ?? 0,
    configurationLocked: flag(row, 'configurationLocked'),
    configurationEntrypointValid: flag(row, 'configurationEntrypointValid'),
    buildStatus: processStatus(row, 'buildStatus', entity),
    buildProgress: optionalNumber(row, 'buildProgress'),
    distributionStatus: processStatus(row, 'distributionStatus', entity),
    distributionProgress: optionalNumber(row, 'distributionProgress'),
    executionStatus: processStatus(row, 'executionStatus', entity),
    executionProgress: optionalNumber(row, 'executionProgress'),
    registryId: optionalString(row, 'registryId'),
    createdAt: optionalString(row, 'createdAt') ?? '',
    updatedAt: optionalString(row, 'updatedAt') ?? ''
  }
}

export function toAnalysisNode(row: Row): AnalysisNode {
  const entity = 'an analysis-node'
  return {
    id: requiredString(row, 'id', entity),
    analysisId: requiredString(row, 'analysisId', entity),
    nodeId: requiredString(row, 'nodeId', entity),
    approvalStatus: approvalStatus(row),
    executionStatus: processStatus(row, 'executionStatus', entity),
    executionProgress: optionalNumber(row, 'executionProgress'),
    artifactTag: optionalString(row, 'artifactTag'),
    createdAt: optionalString(row, 'createdAt') ?? '',
    updatedAt: optionalString(row, 'updatedAt') ?? ''
  }
}

export function toAnalysisBucket(row: Row): AnalysisBucket {
  const entity = 'an analysis bucket'
  const type = row.type
  if (typeof type !== 'string' || !(BUCKET_TYPES as readonly string[]).includes(type)) {
    throw new HubError('protocol', `The Hub sent ${entity} with unknown type ${JSON.stringify(type)}; expected CODE, RESULT or TEMP`)
  }
  return {
    id: requiredString(row, 'id', entity),
    type: type as BucketType,
    // Hub 0.8.21 and older named the storage bucket id `external_id`.
    bucketId: optionalString(row, 'bucketId') ?? optionalString(row, 'externalId'),
    analysisId: requiredString(row, 'analysisId', entity),
    createdAt: optionalString(row, 'createdAt') ?? ''
  }
}

export function toAnalysisBucketFile(row: Row): AnalysisBucketFile {
  const entity = 'an analysis bucket file'
  return {
    id: requiredString(row, 'id', entity),
    path: requiredString(row, 'path', entity),
    root: flag(row, 'root'),
    bucketId: optionalString(row, 'bucketId'),
    analysisBucketId: requiredString(row, 'analysisBucketId', entity),
    analysisId: requiredString(row, 'analysisId', entity),
    createdAt: optionalString(row, 'createdAt') ?? ''
  }
}

export function toBucketFile(row: Row): BucketFile {
  const entity = 'a storage bucket file'
  const path = requiredString(row, 'path', entity)
  return {
    id: requiredString(row, 'id', entity),
    name: optionalString(row, 'name') ?? path.split('/').pop() ?? path,
    path,
    size: optionalNumber(row, 'size') ?? 0,
    bucketId: requiredString(row, 'bucketId', entity)
  }
}
