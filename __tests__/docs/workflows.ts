// Reads GitHub Actions workflow files far enough to find the steps that run this action, the
// inputs they pass, the outputs they read and the shell commands they run.

import { asMapping, asSequence, type YamlMapping, type YamlValue } from './yaml-subset.js'

/** A step that runs this action, either from the checkout (`uses: ./`) or as published. */
export interface ActionStep {
  job: string
  id: string | undefined
  uses: string
  with: YamlMapping
}

export interface WorkflowJob {
  name: string
  permissions: YamlValue | undefined
  outputs: YamlMapping
  env: YamlMapping
  steps: YamlMapping[]
}

export interface Workflow {
  source: string
  permissions: YamlValue | undefined
  jobs: WorkflowJob[]
}

/** How a workflow refers to this action: the local checkout, or the published repository at a ref. */
export const ACTION_REFERENCE = /^(\.\/?|privateaim\/flame-status-action@[\w./-]+)$/i

export function readWorkflow(document: YamlValue, source: string): Workflow {
  const root = asMapping(document, source)
  const jobs = Object.entries(asMapping(root.jobs, `${source}: jobs`)).map(([name, value]): WorkflowJob => {
    const job = asMapping(value, `${source}: jobs.${name}`)
    const steps = job.steps === undefined ? [] : asSequence(job.steps, `${source}: jobs.${name}.steps`)
    return {
      name,
      permissions: job.permissions,
      outputs: optionalMapping(job.outputs, `${source}: jobs.${name}.outputs`),
      env: optionalMapping(job.env, `${source}: jobs.${name}.env`),
      steps: steps.map((step, index) => asMapping(step, `${source}: jobs.${name}.steps[${index}]`))
    }
  })
  return { source, permissions: root.permissions, jobs }
}

export function actionSteps(workflow: Workflow): ActionStep[] {
  return workflow.jobs.flatMap((job) =>
    job.steps
      .filter((step) => typeof step.uses === 'string' && ACTION_REFERENCE.test(step.uses))
      .map((step) => ({
        job: job.name,
        id: typeof step.id === 'string' ? step.id : undefined,
        uses: step.uses as string,
        with: optionalMapping(step.with, `${workflow.source}: with`)
      }))
  )
}

/** Collect the `run:` scripts of every step of every job. */
export function runScripts(workflow: Workflow): string[] {
  return workflow.jobs.flatMap((job) =>
    job.steps.map((step) => step.run).filter((run): run is string => typeof run === 'string')
  )
}

/**
 * Work out the permission a job's token has for `scope` when the workflow states it: the job's
 * `permissions` replace the workflow's. Returns undefined when neither states permissions, because
 * the default then depends on the repository settings.
 */
export function effectivePermission(workflow: Workflow, job: WorkflowJob, scope: string): string | undefined {
  const permissions = job.permissions ?? workflow.permissions
  if (permissions === undefined || permissions === null) return undefined
  if (typeof permissions === 'string') {
    if (permissions === 'write-all') return 'write'
    if (permissions === 'read-all') return 'read'
    return 'none'
  }
  const value = asMapping(permissions, `${workflow.source}: permissions`)[scope]
  return typeof value === 'string' ? value : 'none'
}

function optionalMapping(value: YamlValue | undefined, what: string): YamlMapping {
  return value === undefined || value === null ? {} : asMapping(value, what)
}
