import { HubError } from '../hub/errors.js'

/**
 * A step failed for a reason the round can state in words (a timeout, a failed build, an
 * invalid result). The pair runner records `message` as the step's reason; errors that are
 * neither StepFailure nor HubError are programming errors and propagate.
 */
export class StepFailure extends Error {
  override readonly name: string = 'StepFailure'

  /**
   * @param culprit the member of the pair the Hub's states point at, if only one (for
   *   example the aggregator's analysis-node failed while the compute node executed)
   */
  constructor(
    message: string,
    readonly culprit: 'aggregator' | 'node' | null = null
  ) {
    super(message)
  }
}

/** A wait or a single call ran past its time budget. */
export class DeadlineExceeded extends StepFailure {
  override readonly name = 'DeadlineExceeded'
}

/** Describe a caught error as a step reason. HubError messages already name the method and path. */
export function describeError(error: unknown): string {
  if (error instanceof HubError) {
    const status = error.status
    const mentionsStatus = status !== undefined && error.message.includes(String(status))
    return status === undefined || mentionsStatus ? error.message : `${error.message} (HTTP ${status})`
  }
  if (error instanceof Error) return error.message
  return String(error)
}
