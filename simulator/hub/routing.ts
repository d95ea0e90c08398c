// Request and reply shapes shared by the server and the route modules.

import type { IncomingHttpHeaders, ServerResponse } from 'node:http'

export interface RouteRequest {
  method: string
  /** Path segments after the service prefix, URL-decoded (`/core/analyses/1` gives ['analyses', '1']). */
  segments: string[]
  query: URLSearchParams
  headers: IncomingHttpHeaders
  body: Buffer
  /** The authenticated user (empty for open routes). */
  userId: string
}

export interface RouteReply {
  status: number
  /** JSON body, ignored when `send` is set. */
  body?: unknown
  headers?: Record<string, string>
  /** Writes a non-JSON body itself (the tar stream). */
  send?: (response: ServerResponse) => void
}
