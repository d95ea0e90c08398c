/** Kind of failure a Hub call ended with. The round turns it into a reason text. */
export type HubErrorKind =
  | 'http' // the service returned an error status
  | 'network' // connection refused, reset or DNS failure
  | 'timeout' // the request or the stream deadline passed
  | 'aborted' // the caller's signal aborted (cancellation)
  | 'auth' // login failed: bad credentials, throttled, or the token was rejected twice
  | 'protocol' // the response did not have the expected shape, or exceeded a size limit

/**
 * An error from a Hub service. The message names the method and path but never a token
 * or a password: request bodies and headers are not part of it.
 */
export class HubError extends Error {
  override readonly name = 'HubError'

  constructor(
    readonly kind: HubErrorKind,
    message: string,
    readonly details: {
      status?: number
      code?: string
      method?: string
      path?: string
      retryAfterMs?: number
      /** Attempts made before giving up, retries included. */
      attempts?: number
      cause?: unknown
    } = {}
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
  }

  get status(): number | undefined {
    return this.details.status
  }

  get code(): string | undefined {
    return this.details.code
  }
}
