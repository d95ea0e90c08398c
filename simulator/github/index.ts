import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { type EndpointName, type Fault, type FaultRule, FaultPlan } from './faults.js'
import { BareRepository } from './git.js'
import {
  ApiError,
  createCommit,
  createRef,
  createTree,
  listCommits,
  listTree,
  readCommit,
  type RefUpdate,
  type TreeEntryRequest,
  updateBranch
} from './objects.js'
import {
  blobBody,
  directoryContentBody,
  fileContentBody,
  gitCommitBody,
  listedCommitBody,
  refBody,
  repositoryBody,
  type RepositoryUrls,
  treeBody,
  type Verification
} from './responses.js'

export type { EndpointName, Fault, FaultRule } from './faults.js'
export type { RefUpdate } from './objects.js'

export interface GitHubEmulatorOptions {
  /**
   * Bare repository to serve, created when the folder has none and kept on stop. Default: a new
   * one in a temporary directory, removed on stop.
   */
  repoDir?: string
  /**
   * Files of the first commit on `branch` (path → UTF-8 content), or 'empty' for a repository
   * without commits. Ignored when `repoDir` already has commits. Default: one README.md.
   */
  seed?: Record<string, string> | 'empty'
  /** The default branch. Default 'main'. */
  branch?: string
  owner?: string
  repo?: string
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port?: number
  /** When set, requests must send this token (`token X` or `Bearer X`), else 401 Bad credentials. */
  token?: string
  /** Receives one line per request and per injected fault. */
  log?: (line: string) => void
}

export interface EmulatorStats {
  /** Requests per endpoint, including the ones that hit a fault. */
  calls: Partial<Record<EndpointName, number>>
  /** Successful ref updates, in order. */
  refUpdates: RefUpdate[]
  /** Ref updates that were not fast-forwards (sent with `force: true`). */
  forcedUpdates: number
  /** Requests that hit a fault: replaced, dropped or preceded by a competing commit. */
  faultsHit: number
}

export interface GitHubEmulator {
  /** API base URL, e.g. http://127.0.0.1:41234; give it to Octokit as `baseUrl`. */
  url: string
  repoDir: string
  owner: string
  repo: string
  branch: string
  stats(): EmulatorStats
  faults: {
    add(rule: FaultRule): void
    clear(): void
    pending(): number
  }
  stop(): Promise<void>
}

interface Route {
  endpoint: EndpointName
  handle(request: ParsedRequest): Promise<Reply>
}

interface ParsedRequest {
  method: string
  /** Path segments after /repos/:owner/:repo, percent-decoded. */
  rest: string[]
  query: URLSearchParams
  body: Record<string, unknown>
}

interface Reply {
  status: number
  body: unknown
}

const README_SEED = { 'README.md': '# Status\n' }
const MAX_BODY_BYTES = 50 * 1024 * 1024
const DOCS_URL = 'https://docs.github.com/rest'

/** Starts a GitHub REST API emulator for the Git Data endpoints, backed by a real bare repository. */
export async function startGitHubEmulator(options: GitHubEmulatorOptions = {}): Promise<GitHubEmulator> {
  const branch = options.branch ?? 'main'
  const owner = options.owner ?? 'flame-org'
  const repoName = options.repo ?? 'status'
  const ownsRepoDir = options.repoDir === undefined
  const repoDir = options.repoDir ?? (await mkdtemp(join(tmpdir(), 'github-emulator-')))
  const repository = new BareRepository(repoDir)
  const log = options.log ?? (() => undefined)

  if (ownsRepoDir || !existsSync(join(repoDir, 'HEAD'))) {
    await mkdir(repoDir, { recursive: true })
    await repository.run(['init', '--bare', '--quiet', `--initial-branch=${branch}`])
  }
  if ((await repository.isEmpty()) && options.seed !== 'empty') {
    await seedRepository(repository, branch, options.seed ?? README_SEED)
  }

  const plan = new FaultPlan()
  const stats: EmulatorStats = { calls: {}, refUpdates: [], forcedUpdates: 0, faultsHit: 0 }
  const signedCommits = new Set<string>()
  let competingCommits = 0

  // Ref updates run one at a time so a competing commit, the fast-forward check and the
  // compare-and-swap of one PATCH never interleave with another PATCH.
  let refLock: Promise<unknown> = Promise.resolve()
  const withRefLock = <T>(work: () => Promise<T>): Promise<T> => {
    const next = refLock.then(work, work)
    refLock = next.catch(() => undefined)
    return next
  }

  let urls: RepositoryUrls = { api: '', html: '', owner, repo: repoName }

  const verificationOf = (sha: string): Verification =>
    signedCommits.has(sha) ? { verified: true, reason: 'valid' } : { verified: false, reason: 'unsigned' }

  // A repository never becomes empty again through this API, so one successful check is enough.
  let knownNotEmpty = false
  const requireNotEmpty = async (): Promise<void> => {
    if (knownNotEmpty) return
    if (await repository.isEmpty()) throw new ApiError(409, 'Git Repository is empty.')
    knownNotEmpty = true
  }

  const commitCompetingChange = async (fault: Extract<Fault, { kind: 'competing-commit' }>): Promise<void> => {
    competingCommits += 1
    const head = await repository.resolve(`refs/heads/${branch}`)
    if (head === null) return
    const parent = await readCommit(repository, head)
    const append = fault.append ?? { 'competing.log': `competing commit ${competingCommits}\n` }
    const entries: TreeEntryRequest[] = []
    for (const [path, text] of Object.entries(append)) {
      const blob = await repository.resolve(`${head}:${path}`)
      const old = blob === null ? '' : (await repository.readBlob(blob)).toString('utf8')
      entries.push({ path, mode: '100644', type: 'blob', content: old + text })
    }
    const tree = await createTree(repository, parent.tree, entries)
    const sha = await createCommit(
      repository,
      {
        message: `Competing commit ${competingCommits}`,
        tree,
        parents: [head],
        author: { name: 'Competing Writer', email: 'competing@example.invalid' }
      },
      new Date()
    )
    const update = await updateBranch(repository, branch, sha, false)
    stats.refUpdates.push(update)
    log(`competing commit ${sha.slice(0, 7)} on ${branch}`)
  }

  const routes = buildRoutes()

  function buildRoutes(): (request: ParsedRequest) => Route | undefined {
    const getRepo: Route = {
      endpoint: 'getRepo',
      handle: async () => ({ status: 200, body: repositoryBody(urls, branch) })
    }

    const getRef: Route = {
      endpoint: 'getRef',
      handle: async ({ rest }) => {
        await requireNotEmpty()
        const ref = `refs/${rest.slice(2).join('/')}`
        const sha = await repository.resolve(ref)
        if (sha === null || !ref.startsWith('refs/heads/')) throw new ApiError(404, 'Not Found')
        return { status: 200, body: refBody(urls, ref, sha) }
      }
    }

    const updateRef: Route = {
      endpoint: 'updateRef',
      handle: async ({ rest, body }) => {
        await requireNotEmpty()
        const ref = `refs/${rest.slice(2).join('/')}`
        if (!ref.startsWith('refs/heads/')) throw new ApiError(422, `Only branches can be updated here, not '${ref}'.`)
        const sha = requireString(body, 'sha')
        const force = body.force === true

        return withRefLock(async () => {
          const competing = plan.takeKind('updateRef', 'competing-commit')
          if (competing) {
            stats.faultsHit += 1
            await commitCompetingChange(competing)
          }
          const update = await updateBranch(repository, ref.slice('refs/heads/'.length), sha, force)
          stats.refUpdates.push(update)
          if (update.forced) stats.forcedUpdates += 1
          log(`${update.forced ? 'forced ' : ''}update ${ref} ${update.from.slice(0, 7)} → ${sha.slice(0, 7)}`)
          return { status: 200, body: refBody(urls, ref, sha) }
        })
      }
    }

    const createRefRoute: Route = {
      endpoint: 'createRef',
      handle: async ({ body }) => {
        await requireNotEmpty()
        const ref = requireString(body, 'ref')
        const sha = requireString(body, 'sha')
        await withRefLock(() => createRef(repository, ref, sha))
        return { status: 201, body: refBody(urls, ref, sha) }
      }
    }

    const getCommit: Route = {
      endpoint: 'getCommit',
      handle: async ({ rest }) => {
        await requireNotEmpty()
        const commit = await readCommit(repository, rest[2] ?? '')
        return { status: 200, body: gitCommitBody(urls, commit, verificationOf(commit.sha)) }
      }
    }

    const createCommitRoute: Route = {
      endpoint: 'createCommit',
      handle: async ({ body }) => {
        await requireNotEmpty()
        const message = requireString(body, 'message')
        const tree = requireString(body, 'tree')
        const parents = Array.isArray(body.parents) ? body.parents.map(String) : []
        const author = identityField(body, 'author')
        const committer = identityField(body, 'committer')
        const sha = await createCommit(repository, { message, tree, parents, author, committer }, new Date())
        // GitHub signs commits that a bot token creates without a custom author or committer.
        if (author === undefined && committer === undefined && body.signature === undefined) signedCommits.add(sha)
        const commit = await readCommit(repository, sha)
        return { status: 201, body: gitCommitBody(urls, commit, verificationOf(sha)) }
      }
    }

    const listCommitsRoute: Route = {
      endpoint: 'listCommits',
      handle: async ({ query }) => {
        await requireNotEmpty()
        const start = await repository.resolve(query.get('sha') ?? `refs/heads/${branch}`)
        if (start === null) throw new ApiError(404, 'Not Found')
        const perPage = Math.min(100, Math.max(1, Number(query.get('per_page') ?? 30) || 30))
        const commits = await listCommits(repository, start, perPage)
        return { status: 200, body: commits.map((commit) => listedCommitBody(urls, commit, verificationOf(commit.sha))) }
      }
    }

    const getTree: Route = {
      endpoint: 'getTree',
      handle: async ({ rest, query }) => {
        await requireNotEmpty()
        const requested = rest[2] ?? ''
        const type = await repository.objectType(requested)
        if (type !== 'tree' && type !== 'commit') throw new ApiError(404, 'Not Found')
        const sha = type === 'commit' ? (await readCommit(repository, requested)).tree : requested
        const recursive = query.has('recursive') && !['0', 'false'].includes(query.get('recursive') ?? '')
        return { status: 200, body: treeBody(urls, sha, await listTree(repository, sha, recursive)) }
      }
    }

    const createTreeRoute: Route = {
      endpoint: 'createTree',
      handle: async ({ body }) => {
        await requireNotEmpty()
        if (!Array.isArray(body.tree)) throw new ApiError(422, 'Invalid request: tree must be an array of entries.')
        const baseTree = body.base_tree === undefined ? undefined : String(body.base_tree)
        const sha = await createTree(repository, baseTree, body.tree as TreeEntryRequest[])
        return { status: 201, body: treeBody(urls, sha, await listTree(repository, sha, false)) }
      }
    }

    const getBlob: Route = {
      endpoint: 'getBlob',
      handle: async ({ rest }) => {
        await requireNotEmpty()
        const sha = rest[2] ?? ''
        if ((await repository.objectType(sha)) !== 'blob') throw new ApiError(404, 'Not Found')
        return { status: 200, body: blobBody(urls, sha, await repository.readBlob(sha)) }
      }
    }

    const createBlob: Route = {
      endpoint: 'createBlob',
      handle: async ({ body }) => {
        await requireNotEmpty()
        const content = requireString(body, 'content')
        const encoding = body.encoding ?? 'utf-8'
        if (encoding !== 'utf-8' && encoding !== 'base64') {
          throw new ApiError(422, `Invalid encoding '${String(encoding)}': use utf-8 or base64.`)
        }
        const sha = await repository.writeBlob(Buffer.from(content, encoding === 'base64' ? 'base64' : 'utf8'))
        return { status: 201, body: { sha, url: `${urls.api}/repos/${owner}/${repoName}/git/blobs/${sha}` } }
      }
    }

    const getContent: Route = {
      endpoint: 'getContent',
      handle: async ({ rest, query }) => {
        if (!knownNotEmpty && (await repository.isEmpty())) throw new ApiError(404, 'This repository is empty.')
        const path = rest.slice(1).join('/').replace(/\/+$/, '')
        const ref = query.get('ref') ?? branch
        const commitSha = await repository.resolve(`${ref}^{commit}`)
        if (commitSha === null) throw new ApiError(404, `No commit found for the ref ${ref}`)
        const objectSha = await repository.resolve(path === '' ? `${commitSha}^{tree}` : `${commitSha}:${path}`)
        if (objectSha === null) throw new ApiError(404, 'Not Found')
        const type = await repository.objectType(objectSha)
        if (type === 'tree') {
          return { status: 200, body: directoryContentBody(urls, ref, await listTree(repository, objectSha, false), path) }
        }
        return { status: 200, body: fileContentBody(urls, path, ref, objectSha, await repository.readBlob(objectSha)) }
      }
    }

    return ({ method, rest }) => {
      const [first, second] = rest
      if (rest.length === 0) return method === 'GET' ? getRepo : undefined
      if (first === 'contents' && method === 'GET') return getContent
      if (first === 'commits' && rest.length === 1 && method === 'GET') return listCommitsRoute
      if (first !== 'git') return undefined
      if (second === 'ref' && method === 'GET' && rest.length >= 3) return getRef
      if (second === 'refs' && method === 'PATCH' && rest.length >= 3) return updateRef
      if (second === 'refs' && method === 'POST' && rest.length === 2) return createRefRoute
      if (second === 'commits' && method === 'GET' && rest.length === 3) return getCommit
      if (second === 'commits' && method === 'POST' && rest.length === 2) return createCommitRoute
      if (second === 'trees' && method === 'GET' && rest.length === 3) return getTree
      if (second === 'trees' && method === 'POST' && rest.length === 2) return createTreeRoute
      if (second === 'blobs' && method === 'GET' && rest.length === 3) return getBlob
      if (second === 'blobs' && method === 'POST' && rest.length === 2) return createBlob
      return undefined
    }
  }

  const server = createServer((req, res) => {
    handleRequest(req, res).catch((error: unknown) => {
      log(`internal error: ${error instanceof Error ? error.message : String(error)}`)
      if (!res.headersSent) sendJson(res, 500, errorBody(500, 'Internal emulator error'))
      else res.destroy()
    })
  })

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET'
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const segments = url.pathname.split('/').slice(1).map(safeDecode)
    const rawBody = await readBody(req)

    if (options.token !== undefined && !hasToken(req, options.token)) {
      sendJson(res, 401, errorBody(401, 'Bad credentials'))
      return
    }
    if (segments[0] !== 'repos' || segments[1] !== owner || segments[2] !== repoName) {
      sendJson(res, 404, errorBody(404, 'Not Found'))
      return
    }

    let body: Record<string, unknown> = {}
    if (rawBody.length > 0) {
      try {
        const parsed: unknown = JSON.parse(rawBody.toString('utf8'))
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object')
        body = parsed as Record<string, unknown>
      } catch {
        sendJson(res, 400, errorBody(400, 'Problems parsing JSON'))
        return
      }
    }

    const parsed: ParsedRequest = { method, rest: segments.slice(3), query: url.searchParams, body }
    const route = routes(parsed)
    if (!route) {
      sendJson(res, 404, errorBody(404, 'Not Found'))
      return
    }
    stats.calls[route.endpoint] = (stats.calls[route.endpoint] ?? 0) + 1
    log(`${method} ${url.pathname}${url.search}`)

    const slow = plan.takeKind(route.endpoint, 'slow-response')
    if (slow) {
      stats.faultsHit += 1
      log(`fault slow-response on ${route.endpoint}: waiting ${slow.delayMs} ms`)
      await new Promise((resolve) => setTimeout(resolve, slow.delayMs))
    }

    if (route.endpoint !== 'updateRef') {
      const competing = plan.takeKind(route.endpoint, 'competing-commit')
      if (competing) {
        stats.faultsHit += 1
        await withRefLock(() => commitCompetingChange(competing))
      }
    }

    const fault = plan.takeResponseFault(route.endpoint)
    if (fault) {
      stats.faultsHit += 1
      log(`fault ${fault.kind} on ${route.endpoint}`)
      sendFault(res, fault, branch)
      return
    }

    let reply: Reply
    try {
      reply = await route.handle(parsed)
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      log(`${route.endpoint} → ${error.status} ${error.message}`)
      sendJson(res, error.status, errorBody(error.status, error.message))
      return
    }

    if (plan.takeKind(route.endpoint, 'drop-response')) {
      stats.faultsHit += 1
      log(`fault drop-response on ${route.endpoint} after it was applied`)
      res.socket?.destroy()
      return
    }
    sendJson(res, reply.status, reply.body)
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const api = `http://127.0.0.1:${port}`
  urls = { api, html: `${api}/web`, owner, repo: repoName }

  return {
    url: api,
    repoDir,
    owner,
    repo: repoName,
    branch,
    stats: () => ({ ...stats, calls: { ...stats.calls }, refUpdates: [...stats.refUpdates] }),
    faults: {
      add: (rule) => plan.add(rule),
      clear: () => plan.clear(),
      pending: () => plan.pending()
    },
    stop: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      if (ownsRepoDir) await rm(repoDir, { recursive: true, force: true })
    }
  }
}

async function seedRepository(repository: BareRepository, branch: string, files: Record<string, string>): Promise<void> {
  const entries = Object.entries(files).map(([path, content]) => ({ path, mode: '100644', type: 'blob', content }))
  const tree = await createTree(repository, undefined, entries)
  const sha = await createCommit(
    repository,
    { message: 'Initial commit', tree, parents: [], author: { name: 'Seed', email: 'seed@example.invalid' } },
    new Date()
  )
  await repository.run(['update-ref', `refs/heads/${branch}`, sha])
  await repository.run(['symbolic-ref', 'HEAD', `refs/heads/${branch}`])
}

function sendFault(res: ServerResponse, fault: Fault, branch: string): void {
  switch (fault.kind) {
    case 'server-error': {
      const status = fault.status ?? 502
      sendJson(res, status, errorBody(status, 'Server Error'))
      return
    }
    case 'rate-limit': {
      const reset = Math.ceil(Date.now() / 1000 + fault.resetSeconds)
      sendJson(res, 403, errorBody(403, 'API rate limit exceeded for this installation.'), {
        'x-ratelimit-limit': '1000',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-used': '1000',
        'x-ratelimit-reset': String(reset),
        'x-ratelimit-resource': 'core'
      })
      return
    }
    case 'secondary-rate-limit':
      sendJson(res, fault.status, errorBody(fault.status, 'You have exceeded a secondary rate limit. Wait and retry.'), {
        'retry-after': String(fault.retryAfterSeconds)
      })
      return
    case 'no-permission':
      sendJson(res, 403, errorBody(403, 'Resource not accessible by integration'))
      return
    case 'protected-branch':
      if (fault.rule === 'protection') {
        sendJson(res, 422, errorBody(422, `Protected branch update failed for refs/heads/${branch}.`))
      } else {
        sendJson(
          res,
          409,
          errorBody(409, 'Repository rule violations found\n\nChanges must be made through a pull request.\n\n')
        )
      }
      return
    case 'empty-repository':
      sendJson(res, 409, errorBody(409, 'Git Repository is empty.'))
      return
    case 'not-found':
      sendJson(res, 404, errorBody(404, 'Not Found'))
      return
    default:
      sendJson(res, 500, errorBody(500, `Fault '${fault.kind}' cannot replace a response.`))
  }
}

function errorBody(status: number, message: string): object {
  return { message, documentation_url: DOCS_URL, status: String(status) }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'x-github-request-id': Math.random().toString(16).slice(2, 10).toUpperCase(),
    ...headers
  })
  res.end(payload)
}

function hasToken(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? ''
  return header === `token ${token}` || header === `Bearer ${token}` || header === `bearer ${token}`
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

function requireString(body: Record<string, unknown>, field: string): string {
  const value = body[field]
  if (typeof value !== 'string' || value === '') throw new ApiError(422, `Invalid request: '${field}' must be a non-empty string.`)
  return value
}

function identityField(body: Record<string, unknown>, field: string): { name: string; email: string; date?: string } | undefined {
  const value = body[field]
  if (value === undefined) return undefined
  if (value === null || typeof value !== 'object') throw new ApiError(422, `Invalid request: '${field}' must be an object.`)
  const { name, email, date } = value as Record<string, unknown>
  if (typeof name !== 'string' || typeof email !== 'string') {
    throw new ApiError(422, `Invalid request: '${field}' needs a name and an email.`)
  }
  return { name, email, date: typeof date === 'string' ? date : undefined }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new Error(`request body over ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}
