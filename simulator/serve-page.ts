// A static file server for the status page on 127.0.0.1, used by `npm run demo`. It looks
// each path up in the given folders in order, so a workspace's docs/ (logs, status.json,
// installed template) can fall back to the repository's docs-template/ for files the
// action did not add there.

import { existsSync, readFileSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml'
}

export interface PageServer {
  url: string
  stop(): Promise<void>
}

/** Serves `roots` (first match wins) on 127.0.0.1; `port` 0 picks a free one. */
export async function servePage(roots: string[], port = 0): Promise<PageServer> {
  const resolvedRoots = roots.map((root) => path.resolve(root))

  const server = createServer((request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' })
      response.end()
      return
    }

    let relative: string
    try {
      relative = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname)
    } catch {
      response.writeHead(400)
      response.end()
      return
    }
    if (relative.endsWith('/')) relative += 'index.html'

    for (const root of resolvedRoots) {
      const file = path.join(root, relative)
      // path.join normalises `..`; anything that leaves the root is not served.
      if (!file.startsWith(root + path.sep)) continue
      if (!existsSync(file) || !statSync(file).isFile()) continue
      response.writeHead(200, {
        'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-cache'
      })
      response.end(request.method === 'HEAD' ? undefined : readFileSync(file))
      return
    }
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
    response.end('not found\n')
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  const address = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${address.port}/`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
