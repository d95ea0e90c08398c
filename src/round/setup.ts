// Project setup after login: find or create the project, delete its stale analyses, make
// the round's nodes project members and resolve the master image. Any Hub error here
// fails the setup, and the round records that as an upload failure of every pair.

import type { Clock } from '../clock.js'
import type { HubApi } from '../hub/api.js'
import { HubError } from '../hub/errors.js'
import type { HubNode, MasterImage, Project, ProjectNode } from '../hub/model.js'
import { describeError, StepFailure } from './failure.js'

export interface SetupInput {
  hub: HubApi
  clock: Clock
  signal?: AbortSignal
  projectName: string
  /** Virtual path of the requested master image; null takes the Hub's first image. */
  masterImage: string | null
  /** Seconds after which an analysis of the project is stale. */
  staleAfter: number
  /** Nodes that must be project members: the aggregator and the compute nodes that will run. */
  members: HubNode[]
  /** Receives one line per decision or action. */
  log: (line: string) => void
  /** Receives problems that do not fail the setup. */
  warn: (line: string) => void
}

export interface SetupResult {
  project: Project
  masterImage: MasterImage
  staleAnalysesDeleted: number
  /** Observations for the summary. */
  notes: string[]
}

/** Run the setup steps in order; throws StepFailure or HubError when one fails. */
export async function setUpProject(input: SetupInput): Promise<SetupResult> {
  const notes: string[] = []
  const project = await findOrCreateProject(input)
  const staleAnalysesDeleted = await deleteStaleAnalyses(input, project)
  await addMissingMembers(input, project, notes)
  const masterImage = await resolveMasterImage(input, notes)
  return { project, masterImage, staleAnalysesDeleted, notes }
}

async function findOrCreateProject(input: SetupInput): Promise<Project> {
  const { hub, signal, projectName } = input

  const found = await hub.findProject(projectName, { signal })
  if (found !== undefined) return checkProjectName(found, projectName, 'found')

  try {
    const created = await hub.createProject(projectName, { signal })
    input.log(`created project ${created.name} (${created.id})`)
    return checkProjectName(created, projectName, 'created')
  } catch (error) {
    // Another run may have created the project between the lookup and the create.
    if (!(error instanceof HubError) || error.status !== 409) throw error
    const existing = await hub.findProject(projectName, { signal })
    if (existing === undefined) throw error
    return checkProjectName(existing, projectName, 'found')
  }
}

/** Check that the project has exactly the requested name, because the Hub lowercases and filters names. */
function checkProjectName(project: Project, requested: string, how: 'found' | 'created'): Project {
  if (project.name !== requested) {
    throw new StepFailure(
      `the Hub ${how} project "${project.name}" (${project.id}) for the project name "${requested}"; ` +
        'use a lowercase project name of letters, digits, "-", "_" or "." that the Hub stores unchanged'
    )
  }
  return project
}

/** Delete analyses of this project (and only this project) created more than staleAfter seconds ago. */
async function deleteStaleAnalyses(input: SetupInput, project: Project): Promise<number> {
  const { hub, signal, clock } = input
  const cutoff = clock.now() - input.staleAfter * 1000
  const analyses = await hub.listAnalyses(project.id, { signal })

  const stale = analyses.filter((analysis) => {
    const created = Date.parse(analysis.createdAt)
    return analysis.projectId === project.id && Number.isFinite(created) && created < cutoff
  })

  let deleted = 0
  for (const analysis of stale) {
    try {
      await hub.deleteAnalysis(analysis.id, { signal })
      deleted += 1
    } catch (error) {
      if (!(error instanceof HubError) || signal?.aborted) throw error
      // A stale analysis that cannot be deleted now is retried by the next round.
      input.warn(`could not delete stale analysis ${analysis.name} (${analysis.id}): ${describeError(error)}`)
    }
  }

  if (stale.length > 0) {
    input.log(`deleted ${deleted} of ${stale.length} analyses older than ${input.staleAfter} s in project ${project.name}`)
  }
  return deleted
}

async function addMissingMembers(input: SetupInput, project: Project, notes: string[]): Promise<void> {
  const { hub, signal } = input
  const members = await hub.listProjectNodes(project.id, { signal })

  for (const node of input.members) {
    const membership = members.find((member) => member.nodeId === node.id) ?? (await addMember(input, project, node))

    // Approval is the node's decision, so the round only reports it. A default node's
    // membership stays pending unless its admin approves or the Hub skips project approval.
    const approval = membership?.approvalStatus
    if (approval === 'rejected' || (approval === null && node.type !== 'aggregator')) {
      const state = approval === 'rejected' ? 'rejected' : 'pending approval'
      notes.push(`the membership of node ${node.name} in project ${project.name} is ${state}`)
      input.log(`membership of ${node.name} is ${state}`)
    }
  }
}

/** Add a project member; returns undefined when it already existed (409). */
async function addMember(input: SetupInput, project: Project, node: HubNode): Promise<ProjectNode | undefined> {
  try {
    const membership = await input.hub.addProjectNode(project.id, node.id, { signal: input.signal })
    input.log(`added node ${node.name} to project ${project.name}`)
    return membership
  } catch (error) {
    // 409 means the membership exists already (added concurrently), which is the requested state.
    if (!(error instanceof HubError) || error.status !== 409) throw error
    return undefined
  }
}

async function resolveMasterImage(input: SetupInput, notes: string[]): Promise<MasterImage> {
  const images = await input.hub.listMasterImages({ signal: input.signal })
  if (images.length === 0) throw new StepFailure('the Hub lists no master images')

  if (input.masterImage === null) {
    const first = images[0]!
    notes.push(`master image not set, using the Hub's first image ${first.virtualPath}`)
    input.log(`master image not set, using the Hub's first image ${first.virtualPath} (${first.id})`)
    return first
  }

  const image = images.find((candidate) => candidate.virtualPath === input.masterImage)
  if (image === undefined) {
    const available = images.map((candidate) => candidate.virtualPath).join(', ')
    throw new StepFailure(`master image "${input.masterImage}" not found on the Hub; available virtual paths: ${available}`)
  }
  input.log(`master image ${image.virtualPath} (${image.id})`)
  return image
}
