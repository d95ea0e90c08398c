// The `fail-on` input decides whether an unhealthy Hub fails the step. It is applied last,
// after the history, the outputs and the summary are written.

import type { FailOn } from '../inputs.js'
import type { OverallStatus } from '../verdict/overall.js'

/** The overall statuses that fail the step, per `fail-on` value. */
const FAILING_STATUSES: Record<FailOn, readonly OverallStatus[]> = {
  never: [],
  'major-outage': ['major_outage'],
  'partial-outage': ['partial_outage', 'major_outage'],
  'any-failure': ['degraded', 'partial_outage', 'major_outage']
}

/** Returns the failure message for the step, or null when the status passes under `failOn`. */
export function failureMessage(failOn: FailOn, status: OverallStatus): string | null {
  if (!FAILING_STATUSES[failOn].includes(status)) return null
  return `The FLAME Hub status is ${status}, and fail-on is '${failOn}'.`
}

/**
 * Returns the message that fails the step after a round, or null when the step passes. A
 * node list that cannot form a round is a configuration error and always fails the step.
 */
export function roundFailureMessage(failOn: FailOn, status: OverallStatus, misconfiguration: string | null | undefined): string | null {
  if (misconfiguration) return `The configured nodes cannot form a round: ${misconfiguration}. Fix the 'nodes' input.`
  return failureMessage(failOn, status)
}
