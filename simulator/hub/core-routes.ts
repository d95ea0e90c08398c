// The core service's routes: entity lists and records, writes, and the analysis commands with the
// precondition messages of the Hub (core-kit 0.14.0 error messages, quoted as the reference gives them).

import { randomUUID } from 'node:crypto'

import { discardAnalysis, requestBuckets, startBuild, startDistribution } from './lifecycle.js'
import type { HubRuntime } from './runtime.js'
import type { RouteReply, RouteRequest } from './routing.js'
import {
  ApiError,
  analysisError,
  listBody,
  notFound,
  parseJsonObject,
  parseListQuery,
  readInput,
  recordBody,
  selectPage,
  type ListSchema
} from './wire.js'
import {
  isoNow,
  type AnalysisBucketFileEntity,
  type AnalysisEntity,
  type AnalysisNodeEntity,
  type Approval,
  type HubWorld,
  type NodeEntity,
  type ProjectEntity,
  type ProjectNodeEntity
} from './world.js'

interface Resource {
  /** Entity name in error messages ("The analysis was not found."). */
  entity: string
  schema: ListSchema
  rows(world: HubWorld, runtime: HubRuntime): object[]
  get(world: HubWorld, id: string): object | undefined
  relations: Record<string, (world: HubWorld, row: Record<string, unknown>) => object | null | undefined>
}

const byTime = (field: string, descending = false) => [{ field, descending }]
const lookup = <T>(map: Map<string, T>, id: unknown): T | null => (typeof id === 'string' ? (map.get(id) ?? null) : null)

const resources: Record<string, Resource> = {
  nodes: {
    entity: 'node',
    schema: {
      filters: ['id', 'name', 'online', 'hidden', 'clientId', 'realmId', 'robotId'],
      includes: ['registryProject', 'registry'],
      sorts: ['name', 'updatedAt', 'createdAt'],
      defaultSort: []
    },
    rows: (world) => [...world.nodes.values()],
    get: (world, id) => world.nodes.get(id),
    relations: {
      registry: (world, row) => lookup(world.registries, row.registryId),
      registryProject: (_world, row) =>
        typeof row.registryProjectId === 'string' ? { id: row.registryProjectId, name: `project-${String(row.name)}` } : null
    }
  },
  registries: {
    entity: 'registry',
    schema: { filters: ['id', 'name', 'host'], includes: [], sorts: ['name', 'createdAt'], defaultSort: [] },
    rows: (world) => [...world.registries.values()],
    get: (world, id) => world.registries.get(id),
    relations: {}
  },
  projects: {
    entity: 'project',
    schema: {
      filters: ['id', 'name', 'displayName', 'realmId', 'userId'],
      includes: ['masterImage'],
      sorts: ['id', 'name', 'displayName', 'updatedAt', 'createdAt'],
      defaultSort: []
    },
    rows: (world) => [...world.projects.values()],
    get: (world, id) => world.projects.get(id),
    relations: { masterImage: (world, row) => lookup(world.masterImages, row.masterImageId) }
  },
  'project-nodes': {
    entity: 'project-node',
    schema: {
      filters: ['approvalStatus', 'projectRealmId', 'projectId', 'nodeRealmId', 'nodeId'],
      includes: ['node', 'project'],
      sorts: ['createdAt', 'updatedAt'],
      defaultSort: []
    },
    rows: (world) => [...world.projectNodes.values()],
    get: (world, id) => world.projectNodes.get(id),
    relations: {
      node: (world, row) => lookup(world.nodes, row.nodeId),
      project: (world, row) => lookup(world.projects, row.projectId)
    }
  },
  'master-images': {
    entity: 'master-image',
    schema: {
      filters: ['id', 'name', 'path', 'virtualPath', 'groupVirtualPath'],
      includes: [],
      sorts: ['path'],
      defaultSort: byTime('path')
    },
    rows: (world, runtime) => (runtime.faults.noMasterImage === true ? [] : [...world.masterImages.values()]),
    get: (world, id) => world.masterImages.get(id),
    relations: {}
  },
  analyses: {
    entity: 'analysis',
    schema: {
      filters: ['id', 'name', 'displayName', 'description', 'projectId', 'realmId', 'buildStatus', 'executionStatus', 'configurationLocked'],
      includes: ['project', 'masterImage'],
      sorts: ['name', 'displayName', 'createdAt', 'updatedAt'],
      defaultSort: byTime('updatedAt', true)
    },
    rows: (world) => [...world.analyses.values()],
    get: (world, id) => world.analyses.get(id),
    relations: {
      project: (world, row) => lookup(world.projects, row.projectId),
      masterImage: (world, row) => lookup(world.masterImages, row.masterImageId)
    }
  },
  'analysis-nodes': {
    entity: 'analysis-node',
    schema: {
      filters: ['executionStatus', 'approvalStatus', 'analysisId', 'analysisRealmId', 'nodeId', 'nodeRealmId'],
      includes: ['node', 'analysis'],
      sorts: ['createdAt', 'updatedAt'],
      defaultSort: []
    },
    rows: (world) => [...world.analysisNodes.values()],
    get: (world, id) => world.analysisNodes.get(id),
    relations: {
      node: (world, row) => lookup(world.nodes, row.nodeId),
      analysis: (world, row) => lookup(world.analyses, row.analysisId)
    }
  },
  'analysis-buckets': {
    entity: 'analysis-bucket',
    schema: { filters: ['analysisId', 'type'], includes: ['analysis'], sorts: ['type', 'createdAt', 'updatedAt'], defaultSort: [] },
    rows: (world) => [...world.analysisBuckets.values()],
    get: (world, id) => world.analysisBuckets.get(id),
    relations: { analysis: (world, row) => lookup(world.analyses, row.analysisId) }
  },
  'analysis-bucket-files': {
    entity: 'analysis-bucket-file',
    schema: {
      filters: ['path', 'root', 'analysisBucketId', 'analysisId'],
      includes: ['analysis', 'analysisBucket'],
      sorts: ['path', 'createdAt', 'updatedAt'],
      defaultSort: []
    },
    rows: (world) => [...world.analysisBucketFiles.values()],
    get: (world, id) => world.analysisBucketFiles.get(id),
    relations: {
      analysis: (world, row) => lookup(world.analyses, row.analysisId),
      analysisBucket: (world, row) => lookup(world.analysisBuckets, row.analysisBucketId)
    }
  },
  'analysis-node-logs': {
    entity: 'analysis-node-log',
    schema: { filters: ['analysisId', 'nodeId', 'level', 'channel'], includes: [], sorts: ['time'], defaultSort: [] },
    rows: (world) => world.analysisNodeLogs,
    get: () => undefined,
    relations: {}
  }
}

function withIncludes(resource: Resource, world: HubWorld, row: object, includes: string[]): object {
  if (includes.length === 0) return row
  const extended: Record<string, unknown> = { ...row }
  for (const name of includes) extended[name] = resource.relations[name]?.(world, row as Record<string, unknown>) ?? null
  return extended
}

function listResource(runtime: HubRuntime, resource: Resource, request: RouteRequest): RouteReply {
  const era = runtime.settings.era
  const query = parseListQuery(request.query, resource.schema, era)
  const { page, total } = selectPage(resource.rows(runtime.world, runtime), query)
  const rows = page.map((row) => withIncludes(resource, runtime.world, row, query.includes))
  return { status: 200, body: listBody(rows, { total, limit: query.limit, offset: query.offset }, resource.schema, era) }
}

function getResource(runtime: HubRuntime, resource: Resource, request: RouteRequest, id: string): RouteReply {
  const row = resource.get(runtime.world, id)
  if (row === undefined) throw notFound(resource.entity)
  const era = runtime.settings.era
  const query = parseListQuery(request.query, resource.schema, era)
  return { status: 200, body: recordBody(withIncludes(resource, runtime.world, row, query.includes), era, resource.schema) }
}

const written = (runtime: HubRuntime, status: number, entity: object): RouteReply => ({
  status,
  body: recordBody(entity, runtime.settings.era)
})

/** Project and analysis names: lowercased, no whitespace, only [a-z0-9-_.], 3 to 128 characters. */
function slugName(raw: unknown, entity: string, field: string): string {
  if (typeof raw !== 'string') throw new ApiError(400, 'invalid_input', `The ${entity} ${field} must be a string.`)
  const name = raw.toLowerCase()
  if (!/^[a-z0-9\-_.]{3,128}$/.test(name)) {
    throw new ApiError(400, 'invalid_input', `The ${entity} ${field} "${raw}" is invalid: use 3 to 128 characters of a-z, 0-9, "-", "_" or ".".`, [
      { code: 'invalid_string', path: [field], message: 'Invalid name.' }
    ])
  }
  return name
}

function optionalText(value: unknown): string | null {
  return typeof value === 'string' ? value : null
}

function approvalFor(runtime: HubRuntime, node: NodeEntity, kind: 'projectApproval' | 'analysisApproval'): Approval {
  // Aggregators are approved at once. Default nodes follow their knob, and no knob means approved.
  if (node.type === 'aggregator') return 'approved'
  const setting = runtime.nodeFaults(node)[kind] ?? 'approved'
  return setting === 'pending' ? null : setting
}

function createProject(runtime: HubRuntime, request: RouteRequest): RouteReply {
  const world = runtime.world
  const status = runtime.faults.projectCreateStatus
  if (status !== undefined) {
    if (status === 403) throw new ApiError(403, 'permission_denied', 'You are not permitted to create a project.')
    const code = status >= 500 ? 'internal_error' : 'bad_request'
    throw new ApiError(status, code, 'The project could not be created.')
  }

  const input = readInput(parseJsonObject(request.body), ['name', 'displayName', 'description', 'masterImageId'], [], runtime.settings.era)
  const name = input.name === undefined ? `project-${randomUUID().slice(0, 8)}` : slugName(input.name, 'project', 'name')
  if ([...world.projects.values()].some((project) => project.name === name)) {
    throw new ApiError(409, 'entity_conflict', 'An entry with some unique attributes already exists.')
  }
  const masterImageId = optionalText(input.masterImageId)
  if (masterImageId !== null && !world.masterImages.has(masterImageId)) {
    throw new ApiError(400, 'entity_relation_invalid', 'The masterImage relation is invalid.')
  }

  const now = isoNow()
  const project: ProjectEntity = {
    id: randomUUID(),
    name,
    displayName: optionalText(input.displayName),
    description: optionalText(input.description),
    nodes: 0,
    analyses: 0,
    realmId: world.realmId,
    userId: request.userId,
    clientId: null,
    robotId: null,
    masterImageId,
    createdAt: now,
    updatedAt: now
  }
  world.projects.set(project.id, project)
  return written(runtime, 201, project)
}

function createProjectNode(runtime: HubRuntime, request: RouteRequest): RouteReply {
  const world = runtime.world
  const input = readInput(parseJsonObject(request.body), ['projectId', 'nodeId'], ['projectId', 'nodeId'], runtime.settings.era)
  const project = lookup(world.projects, input.projectId)
  const node = lookup(world.nodes, input.nodeId)
  if (project === null) throw new ApiError(400, 'entity_relation_invalid', 'The project relation is invalid.')
  if (node === null) throw new ApiError(400, 'entity_relation_invalid', 'The node relation is invalid.')
  if ([...world.projectNodes.values()].some((row) => row.projectId === project.id && row.nodeId === node.id)) {
    throw new ApiError(409, 'entity_conflict', 'An entry with some unique attributes already exists.')
  }

  const now = isoNow()
  const row: ProjectNodeEntity = {
    id: randomUUID(),
    approvalStatus: approvalFor(runtime, node, 'projectApproval'),
    comment: null,
    projectId: project.id,
    projectRealmId: project.realmId,
    nodeId: node.id,
    nodeRealmId: node.realmId,
    createdAt: now,
    updatedAt: now
  }
  world.projectNodes.set(row.id, row)
  project.nodes++
  return written(runtime, 201, row)
}

function addAnalysisNode(runtime: HubRuntime, analysis: AnalysisEntity, node: NodeEntity): AnalysisNodeEntity {
  const now = isoNow()
  const row: AnalysisNodeEntity = {
    id: randomUUID(),
    approvalStatus: approvalFor(runtime, node, 'analysisApproval'),
    executionStatus: null,
    executionProgress: null,
    comment: null,
    artifactTag: null,
    artifactDigest: null,
    analysisId: analysis.id,
    analysisRealmId: analysis.realmId,
    nodeId: node.id,
    nodeRealmId: node.realmId,
    createdAt: now,
    updatedAt: now
  }
  runtime.world.analysisNodes.set(row.id, row)
  return row
}

function createAnalysis(runtime: HubRuntime, request: RouteRequest): RouteReply {
  const world = runtime.world
  const input = readInput(
    parseJsonObject(request.body),
    ['projectId', 'name', 'displayName', 'description', 'masterImageId', 'registryId', 'imageCommandArguments'],
    ['projectId'],
    runtime.settings.era
  )
  const project = lookup(world.projects, input.projectId)
  if (project === null) throw new ApiError(400, 'entity_relation_invalid', 'The project relation is invalid.')
  const masterImageId = optionalText(input.masterImageId) ?? project.masterImageId
  if (masterImageId !== null && !world.masterImages.has(masterImageId)) {
    throw new ApiError(400, 'entity_relation_invalid', 'The masterImage relation is invalid.')
  }

  const now = isoNow()
  const analysis: AnalysisEntity = {
    id: randomUUID(),
    name: input.name === undefined ? `analysis-${randomUUID().slice(0, 8)}` : slugName(input.name, 'analysis', 'name'),
    displayName: optionalText(input.displayName),
    description: optionalText(input.description),
    nodes: 0,
    nodesApproved: 0,
    configurationLocked: false,
    configurationEntrypointValid: false,
    configurationImageValid: false,
    configurationNodeAggregatorValid: false,
    configurationNodeDefaultValid: false,
    configurationNodesValid: false,
    buildStatus: null,
    buildNodesValid: false,
    buildProgress: null,
    buildHash: null,
    buildOs: null,
    buildSize: null,
    distributionStatus: null,
    distributionProgress: null,
    executionStatus: null,
    executionProgress: null,
    registryId: optionalText(input.registryId),
    clientId: randomUUID(),
    realmId: project.realmId,
    userId: request.userId,
    projectId: project.id,
    masterImageId,
    imageCommandArguments: Array.isArray(input.imageCommandArguments)
      ? (input.imageCommandArguments as AnalysisEntity['imageCommandArguments'])
      : null,
    createdAt: now,
    updatedAt: now
  }
  world.analyses.set(analysis.id, analysis)
  runtime.timing(analysis.id)
  project.analyses++

  // Hub 0.10.1 and later: every approved project node joins a new analysis at once.
  for (const projectNode of world.projectNodes.values()) {
    const node = world.nodes.get(projectNode.nodeId)
    if (projectNode.projectId === project.id && projectNode.approvalStatus === 'approved' && node !== undefined) {
      addAnalysisNode(runtime, analysis, node)
    }
  }
  world.recalculateAnalysis(analysis)
  requestBuckets(runtime, analysis)
  return written(runtime, 201, analysis)
}

const LOCKED_MESSAGE = 'The analysis has already been locked and can therefore no longer be modified.'

function createAnalysisNode(runtime: HubRuntime, request: RouteRequest): RouteReply {
  const world = runtime.world
  const input = readInput(parseJsonObject(request.body), ['analysisId', 'nodeId'], ['analysisId', 'nodeId'], runtime.settings.era)
  const analysis = lookup(world.analyses, input.analysisId)
  if (analysis === null) throw notFound('analysis')
  if (analysis.configurationLocked) throw analysisError(LOCKED_MESSAGE)
  const node = lookup(world.nodes, input.nodeId)
  const inProject =
    node !== null &&
    [...world.projectNodes.values()].some((row) => row.projectId === analysis.projectId && row.nodeId === node.id)
  if (node === null || !inProject) {
    throw new ApiError(404, 'entity_not_found', 'The referenced node is not part of the analysis project.')
  }

  // Hub 0.10.1 and later: adding an existing pair returns the existing row.
  const existing = world.nodesOfAnalysis(analysis.id).find((row) => row.nodeId === node.id)
  const row = existing ?? addAnalysisNode(runtime, analysis, node)
  world.recalculateAnalysis(analysis)
  analysis.updatedAt = isoNow()
  return written(runtime, 201, row)
}

function deleteAnalysisNode(runtime: HubRuntime, id: string): RouteReply {
  const world = runtime.world
  const row = world.analysisNodes.get(id)
  if (row === undefined) throw notFound('analysis-node')
  const analysis = world.analyses.get(row.analysisId)
  if (analysis?.configurationLocked === true) throw analysisError(LOCKED_MESSAGE)
  world.analysisNodes.delete(id)
  if (analysis !== undefined) world.recalculateAnalysis(analysis)
  return written(runtime, 202, row)
}

function updateAnalysisNode(runtime: HubRuntime, request: RouteRequest, id: string): RouteReply {
  const row = runtime.world.analysisNodes.get(id)
  if (row === undefined) throw notFound('analysis-node')
  const input = readInput(
    parseJsonObject(request.body),
    ['approvalStatus', 'comment', 'executionStatus', 'executionProgress'],
    [],
    runtime.settings.era
  )
  Object.assign(row, input, { updatedAt: isoNow() })
  const analysis = runtime.world.analyses.get(row.analysisId)
  if (analysis !== undefined) runtime.world.recalculateAnalysis(analysis)
  return written(runtime, 202, row)
}

function updateProjectNode(runtime: HubRuntime, request: RouteRequest, id: string): RouteReply {
  const row = runtime.world.projectNodes.get(id)
  if (row === undefined) throw notFound('project-node')
  const input = readInput(parseJsonObject(request.body), ['approvalStatus', 'comment'], [], runtime.settings.era)
  Object.assign(row, input, { updatedAt: isoNow() })
  return written(runtime, 202, row)
}

function updateBucketFile(runtime: HubRuntime, request: RouteRequest, id: string): RouteReply {
  const world = runtime.world
  const file = world.analysisBucketFiles.get(id)
  if (file === undefined) throw notFound('analysis-bucket-file')
  const input = readInput(parseJsonObject(request.body), ['root'], [], runtime.settings.era)

  if (input.root !== undefined) {
    // One entrypoint per bucket: marking a file unmarks the others.
    if (input.root === true) {
      for (const other of world.analysisBucketFiles.values()) {
        if (other.analysisBucketId === file.analysisBucketId) other.root = false
      }
    }
    file.root = input.root === true
    file.updatedAt = isoNow()
  }
  const analysis = world.analyses.get(file.analysisId)
  if (analysis !== undefined) {
    world.recalculateAnalysis(analysis)
    analysis.updatedAt = isoNow()
  }
  return written(runtime, 202, file)
}

function createBucketFile(runtime: HubRuntime, request: RouteRequest): RouteReply {
  const world = runtime.world
  const input = readInput(
    parseJsonObject(request.body),
    ['path', 'bucketFileId', 'bucketId', 'analysisBucketId', 'root'],
    ['path', 'bucketFileId', 'bucketId', 'analysisBucketId'],
    runtime.settings.era
  )
  const analysisBucket = lookup(world.analysisBuckets, input.analysisBucketId)
  if (analysisBucket === null) throw new ApiError(400, 'entity_relation_invalid', 'The analysisBucket relation is invalid.')
  const now = isoNow()
  const row: AnalysisBucketFileEntity = {
    id: randomUUID(),
    path: String(input.path),
    root: input.root === true,
    bucketId: String(input.bucketId),
    bucketFileId: String(input.bucketFileId),
    analysisBucketId: analysisBucket.id,
    analysisId: analysisBucket.analysisId,
    realmId: analysisBucket.realmId,
    userId: request.userId,
    clientId: null,
    robotId: null,
    createdAt: now,
    updatedAt: now
  }
  world.analysisBucketFiles.set(row.id, row)
  const analysis = world.analyses.get(row.analysisId)
  if (analysis !== undefined) world.recalculateAnalysis(analysis)
  return written(runtime, 201, row)
}

const restartable = (status: AnalysisEntity['buildStatus']): boolean => status === null || status === 'failed' || status === 'stopped'

function runCommand(runtime: HubRuntime, request: RouteRequest, id: string): RouteReply {
  const world = runtime.world
  const analysis = world.analyses.get(id)
  if (analysis === undefined) throw notFound('analysis')
  const input = readInput(parseJsonObject(request.body), ['command'], ['command'], runtime.settings.era)
  world.recalculateAnalysis(analysis)

  switch (input.command) {
    case 'configurationLock':
      if (analysis.configurationLocked) throw analysisError('The analysis configuration is locked.')
      if (analysis.buildStatus !== null) throw analysisError('The analysis build process has already been initialized.')
      // The lockRejected fault makes one precondition fail as if the Hub had lost that part of the configuration.
      const lost = runtime.faults.lockRejected
      if (!analysis.configurationNodeDefaultValid || lost === 'default-node') {
        throw analysisError('At least one default node must be selected.')
      }
      if (!analysis.configurationNodeAggregatorValid || lost === 'aggregator-node') {
        throw analysisError('An aggregator node node must be selected.')
      }
      if (!analysis.configurationEntrypointValid || lost === 'entrypoint') throw analysisError('An entrypoint must be selected.')
      if (!analysis.configurationImageValid || lost === 'master-image') {
        throw analysisError('A master image must be assigned to the analysis.')
      }
      analysis.configurationLocked = true
      break

    case 'configurationUnlock':
      // NOTE: the Hub's wording of these two unlock errors is not known, so these messages are our own.
      if (!analysis.configurationLocked) throw analysisError('The analysis configuration is not locked.')
      if (!restartable(analysis.buildStatus)) throw analysisError('The analysis build process has already been initialized.')
      analysis.configurationLocked = false
      break

    case 'buildStart':
      if (!analysis.configurationLocked) throw analysisError('The analysis configuration is not locked.')
      if (!analysis.buildNodesValid) throw analysisError('All assigned nodes have to approve the analysis.')
      if (!restartable(analysis.buildStatus)) throw analysisError('The analysis build can not be started.')
      startBuild(runtime, analysis)
      break

    case 'distributionStart': {
      if (analysis.buildStatus !== 'executed') throw analysisError('The analysis is not built yet.')
      if (!restartable(analysis.distributionStatus)) {
        throw analysisError(`The analysis can not be distributed in state ${String(analysis.distributionStatus)}`)
      }
      const registry = analysis.registryId ?? [...world.registries.keys()][0]
      if (registry === undefined) throw analysisError('No docker registry is defined.')
      for (const row of world.nodesOfAnalysis(analysis.id)) {
        const node = world.nodes.get(row.nodeId)
        if (node !== undefined && node.registryId === null) {
          throw analysisError(`The node ${node.name} is not assigned to a registry yet.`)
        }
      }
      analysis.registryId = registry
      startDistribution(runtime, analysis)
      break
    }

    case 'storageCheck':
      requestBuckets(runtime, analysis)
      break

    case 'buildCheck':
    case 'distributionCheck':
      // The simulated worker keeps every image it built, so reconciling leaves the status as it is.
      break

    default:
      throw new ApiError(400, 'bad_request', 'Invalid command.')
  }

  analysis.updatedAt = isoNow()
  return written(runtime, 202, analysis)
}

function deleteAnalysis(runtime: HubRuntime, id: string): RouteReply {
  const analysis = runtime.world.analyses.get(id)
  if (analysis === undefined) throw notFound('analysis')
  discardAnalysis(runtime, id)
  const project = runtime.world.projects.get(analysis.projectId)
  if (project !== undefined) project.analyses = Math.max(0, project.analyses - 1)
  return written(runtime, 202, analysis)
}

/** Counts GET requests per analysis for the transient-404 fault. */
const notFoundServed = new WeakMap<HubRuntime, Map<string, number>>()

function transientNotFound(runtime: HubRuntime, id: string): boolean {
  const limit = runtime.faults.analysisNotFound ?? 0
  if (limit <= 0 || !runtime.world.analyses.has(id)) return false
  const counts = notFoundServed.get(runtime) ?? new Map<string, number>()
  notFoundServed.set(runtime, counts)
  const served = counts.get(id) ?? 0
  if (served >= limit) return false
  counts.set(id, served + 1)
  return true
}

/** Routes one authenticated core request. `segments` is the path after the /core prefix. */
export function handleCore(runtime: HubRuntime, request: RouteRequest): RouteReply {
  const [collection = '', id, action, ...rest] = request.segments
  const resource = resources[collection]
  if (resource === undefined || rest.length > 0) throw new ApiError(404, 'not_found', `The route ${request.method} /${request.segments.join('/')} does not exist.`)
  const method = request.method

  if (id === undefined) {
    if (method === 'GET') return listResource(runtime, resource, request)
    if (method === 'POST') {
      if (collection === 'projects') return createProject(runtime, request)
      if (collection === 'project-nodes') return createProjectNode(runtime, request)
      if (collection === 'analyses') return createAnalysis(runtime, request)
      if (collection === 'analysis-nodes') return createAnalysisNode(runtime, request)
      if (collection === 'analysis-bucket-files') return createBucketFile(runtime, request)
    }
  } else if (action === undefined) {
    if (method === 'GET') {
      if (collection === 'analyses' && transientNotFound(runtime, id)) throw notFound('analysis')
      return getResource(runtime, resource, request, id)
    }
    if (method === 'POST') {
      if (collection === 'analysis-bucket-files') return updateBucketFile(runtime, request, id)
      if (collection === 'analysis-nodes') return updateAnalysisNode(runtime, request, id)
      if (collection === 'project-nodes') return updateProjectNode(runtime, request, id)
    }
    if (method === 'DELETE') {
      if (collection === 'analyses') return deleteAnalysis(runtime, id)
      if (collection === 'analysis-nodes') return deleteAnalysisNode(runtime, id)
    }
  } else if (action === 'command' && collection === 'analyses' && method === 'POST') {
    return runCommand(runtime, request, id)
  }

  throw new ApiError(404, 'not_found', `The route ${method} /${request.segments.join('/')} does not exist.`)
}
