import { randomUUID } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import type { BareRepository } from './git.js'

/** An error the emulator turns into a GitHub-shaped error response. */
export class ApiError extends Error {
  override readonly name = 'ApiError'

  constructor(
    readonly status: number,
    message: string
  ) {
    super(message)
  }
}

export interface Identity {
  name: string
  email: string
  /** ISO 8601, as GitHub returns it. */
  date: string
}

export interface ParsedCommit {
  sha: string
  tree: string
  parents: string[]
  author: Identity
  committer: Identity
  message: string
}

export interface TreeEntryRequest {
  path?: unknown
  mode?: unknown
  type?: unknown
  sha?: unknown
  content?: unknown
}

export interface ListedTreeEntry {
  path: string
  mode: string
  type: string
  sha: string
  size?: number
}

/** The identity GitHub gives commits made through the API with the Actions token. */
export const BOT_IDENTITY = {
  name: 'github-actions[bot]',
  email: '41898282+github-actions[bot]@users.noreply.github.com'
}

/** The committer GitHub records on the commits it signs for bots. */
export const WEB_FLOW_IDENTITY = { name: 'GitHub', email: 'noreply@github.com' }

const ZERO_SHA = '0000000000000000000000000000000000000000'
const FILE_MODES = new Set(['100644', '100755', '120000'])

/** Reads a commit object with `git cat-file` and parses its headers and message. */
export async function readCommit(repository: BareRepository, sha: string): Promise<ParsedCommit> {
  if (!/^[0-9a-f]{40}$/.test(sha)) throw new ApiError(404, 'Not Found')
  const { stdout, exitCode } = await repository.run(['cat-file', 'commit', sha], { allowExitCodes: [1, 128] })
  if (exitCode !== 0) throw new ApiError(404, 'Not Found')

  const raw = stdout.toString('utf8')
  const split = raw.indexOf('\n\n')
  const headers = (split === -1 ? raw : raw.slice(0, split)).split('\n')
  const message = split === -1 ? '' : raw.slice(split + 2).replace(/\n$/, '')

  let tree = ''
  const parents: string[] = []
  let author: Identity | undefined
  let committer: Identity | undefined
  for (const header of headers) {
    const space = header.indexOf(' ')
    const key = header.slice(0, space)
    const value = header.slice(space + 1)
    if (key === 'tree') tree = value
    else if (key === 'parent') parents.push(value)
    else if (key === 'author') author = parseIdentity(value)
    else if (key === 'committer') committer = parseIdentity(value)
  }

  const unknown = { name: '', email: '', date: new Date(0).toISOString() }
  return { sha, tree, parents, author: author ?? unknown, committer: committer ?? unknown, message }
}

function parseIdentity(value: string): Identity {
  const match = /^(.*) <([^>]*)> (\d+) ([+-]\d{4})$/.exec(value)
  if (!match) return { name: value, email: '', date: new Date(0).toISOString() }
  return { name: match[1]!, email: match[2]!, date: isoSeconds(new Date(Number(match[3]) * 1000)) }
}

/** Formats a date like GitHub does: UTC, whole seconds, `Z` suffix. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** Lists the commits reachable from `sha`, newest first, at most `limit`, in one `git log`. */
export async function listCommits(repository: BareRepository, sha: string, limit: number): Promise<ParsedCommit[]> {
  // Fields are NUL-separated and records end in SOH, which cannot occur in names or messages git writes.
  const format = ['%H', '%T', '%P', '%an', '%ae', '%at', '%cn', '%ce', '%ct', '%B'].join('%x00') + '%x01'
  const out = (await repository.run(['log', `--max-count=${limit}`, `--format=${format}`, sha])).stdout.toString('utf8')
  return out
    .split('\x01')
    .map((record) => record.replace(/^\n/, ''))
    .filter((record) => record !== '')
    .map((record) => {
      const [id, tree, parents, authorName, authorEmail, authorTime, committerName, committerEmail, committerTime, body] =
        record.split('\0')
      return {
        sha: id!,
        tree: tree!,
        parents: parents ? parents.split(' ') : [],
        author: { name: authorName!, email: authorEmail!, date: isoSeconds(new Date(Number(authorTime) * 1000)) },
        committer: {
          name: committerName!,
          email: committerEmail!,
          date: isoSeconds(new Date(Number(committerTime) * 1000))
        },
        message: (body ?? '').replace(/\n$/, '')
      }
    })
}

/** Lists a tree's entries, recursively (with the subtrees themselves) when asked. */
export async function listTree(repository: BareRepository, sha: string, recursive: boolean): Promise<ListedTreeEntry[]> {
  const args = recursive ? ['ls-tree', '-r', '-t', '-l', '-z', sha] : ['ls-tree', '-l', '-z', sha]
  const out = (await repository.run(args)).stdout.toString('utf8')
  return out
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const tab = line.indexOf('\t')
      const [mode, type, entrySha, size] = line.slice(0, tab).split(/\s+/)
      const entry: ListedTreeEntry = { path: line.slice(tab + 1), mode: mode!, type: type!, sha: entrySha! }
      if (type === 'blob') entry.size = Number(size)
      return entry
    })
}

/**
 * Builds a tree the way `POST git/trees` does: start from `baseTree` (or an empty tree), then
 * apply each entry. Uses a temporary index file so nested paths and merging into the base
 * tree come from git itself.
 */
export async function createTree(
  repository: BareRepository,
  baseTree: string | undefined,
  entries: TreeEntryRequest[]
): Promise<string> {
  const indexFile = join(tmpdir(), `emulator-index-${randomUUID()}`)
  const env = { GIT_INDEX_FILE: indexFile }

  try {
    if (baseTree === undefined) {
      await repository.run(['read-tree', '--empty'], { env })
    } else {
      const type = await repository.objectType(baseTree)
      if (type !== 'tree' && type !== 'commit') throw new ApiError(422, `Invalid base_tree: ${baseTree} is not a tree.`)
      await repository.run(['read-tree', baseTree], { env })
    }

    for (const entry of entries) await applyTreeEntry(repository, env, entry)

    return await repository.text(['write-tree'], { env })
  } finally {
    await rm(indexFile, { force: true })
  }
}

async function applyTreeEntry(
  repository: BareRepository,
  env: Record<string, string>,
  entry: TreeEntryRequest
): Promise<void> {
  const path = validTreePath(entry.path)
  const mode = typeof entry.mode === 'string' ? entry.mode : ''
  const hasContent = entry.content !== undefined
  const hasSha = entry.sha !== undefined

  if (hasContent && hasSha) {
    throw new ApiError(422, `Tree entry '${path}' has both sha and content; send only one of them.`)
  }
  if (!hasContent && !hasSha) throw new ApiError(422, `Tree entry '${path}' needs either sha or content.`)

  if (entry.sha === null) {
    await removePath(repository, env, path)
    return
  }

  if (hasContent) {
    if (typeof entry.content !== 'string') throw new ApiError(422, `Tree entry '${path}': content must be a string.`)
    if (!FILE_MODES.has(mode)) throw new ApiError(422, `Tree entry '${path}': mode '${mode}' is invalid for content.`)
    const blob = await repository.writeBlob(Buffer.from(entry.content, 'utf8'))
    await repository.run(['update-index', '--add', '--replace', '--cacheinfo', `${mode},${blob},${path}`], { env })
    return
  }

  const sha = typeof entry.sha === 'string' ? entry.sha : ''
  const type = await repository.objectType(sha)
  if (mode === '040000') {
    if (type !== 'tree') throw new ApiError(422, `Tree entry '${path}': ${sha} is not a tree.`)
    await removePath(repository, env, path)
    await repository.run(['read-tree', `--prefix=${path}/`, sha], { env })
  } else if (mode === '160000') {
    await repository.run(['update-index', '--add', '--replace', '--cacheinfo', `${mode},${sha},${path}`], { env })
  } else {
    if (!FILE_MODES.has(mode)) throw new ApiError(422, `Tree entry '${path}': mode '${mode}' is invalid.`)
    if (type !== 'blob') throw new ApiError(422, `Tree entry '${path}': ${sha} is not a blob.`)
    await repository.run(['update-index', '--add', '--replace', '--cacheinfo', `${mode},${sha},${path}`], { env })
  }
}

function validTreePath(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new ApiError(422, 'Tree entry path is missing.')
  const segments = value.split('/')
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..' || segment === '.git')) {
    throw new ApiError(422, `Tree entry path '${value}' is invalid: use a relative path without empty, '.', '..' or '.git' segments.`)
  }
  return value
}

/** Removes a file, or every file below a directory, from the temporary index. */
async function removePath(repository: BareRepository, env: Record<string, string>, path: string): Promise<void> {
  const listed = (await repository.run(['ls-files', '-z', '--', path, `${path}/`], { env })).stdout.toString('utf8')
  const paths = listed.split('\0').filter(Boolean)
  if (paths.length === 0) return
  // Mode 0 in --index-info removes an entry; --force-remove would need a work tree.
  const removals = paths.map((entry) => `0 ${ZERO_SHA}\t${entry}\0`).join('')
  await repository.run(['update-index', '-z', '--index-info'], { env, input: removals })
}

export interface CommitRequest {
  message: string
  tree: string
  parents: string[]
  author?: { name: string; email: string; date?: string }
  committer?: { name: string; email: string; date?: string }
}

/** Writes a commit with `git commit-tree`, as the Actions bot unless the request gives an author. */
export async function createCommit(repository: BareRepository, request: CommitRequest, now: Date): Promise<string> {
  if ((await repository.objectType(request.tree)) !== 'tree') {
    throw new ApiError(422, `Tree ${request.tree} does not exist or is not a tree.`)
  }
  for (const parent of request.parents) {
    if ((await repository.objectType(parent)) !== 'commit') {
      throw new ApiError(422, `Parent ${parent} does not exist or is not a commit.`)
    }
  }

  const author = request.author ?? BOT_IDENTITY
  const committer = request.committer ?? (request.author ? request.author : WEB_FLOW_IDENTITY)
  const env = {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_AUTHOR_DATE: gitDate(request.author?.date, now),
    GIT_COMMITTER_NAME: committer.name,
    GIT_COMMITTER_EMAIL: committer.email,
    GIT_COMMITTER_DATE: gitDate(request.committer?.date, now)
  }
  const parentArgs = request.parents.flatMap((parent) => ['-p', parent])
  const message = request.message.endsWith('\n') ? request.message : `${request.message}\n`
  return repository.text(['commit-tree', request.tree, ...parentArgs, '-F', '-'], { env, input: message })
}

function gitDate(iso: string | undefined, now: Date): string {
  const date = iso === undefined ? now : new Date(iso)
  if (Number.isNaN(date.getTime())) throw new ApiError(422, `Invalid date '${iso}': use ISO 8601.`)
  return `${Math.floor(date.getTime() / 1000)} +0000`
}

export interface RefUpdate {
  ref: string
  from: string
  to: string
  forced: boolean
}

/**
 * Moves a branch the way `PATCH git/refs` does. Without `force` the new commit must descend
 * from the current one (422 otherwise). `update-ref` compares and swaps on the old value, so a
 * writer outside this process cannot be overwritten either.
 */
export async function updateBranch(
  repository: BareRepository,
  branch: string,
  sha: string,
  force: boolean
): Promise<RefUpdate> {
  const ref = `refs/heads/${branch}`
  const current = await repository.resolve(ref)
  if (current === null) throw new ApiError(422, 'Reference does not exist')
  if ((await repository.objectType(sha)) !== 'commit') throw new ApiError(422, 'Object does not exist')

  const fastForward = await isAncestor(repository, current, sha)
  if (!fastForward && !force) throw new ApiError(422, 'Update is not a fast forward')

  try {
    await repository.run(['update-ref', ref, sha, current])
  } catch {
    throw new ApiError(422, 'Reference update failed')
  }
  return { ref, from: current, to: sha, forced: !fastForward }
}

/** Creates a ref that must not exist yet, as `POST git/refs` does. */
export async function createRef(repository: BareRepository, ref: string, sha: string): Promise<void> {
  if (!ref.startsWith('refs/') || ref.split('/').length < 3) {
    throw new ApiError(422, `Reference name '${ref}' is invalid: use the full name, e.g. refs/heads/data.`)
  }
  if ((await repository.objectType(sha)) !== 'commit') throw new ApiError(422, 'Object does not exist')
  try {
    await repository.run(['update-ref', ref, sha, ZERO_SHA])
  } catch {
    throw new ApiError(422, 'Reference already exists')
  }
}

async function isAncestor(repository: BareRepository, ancestor: string, descendant: string): Promise<boolean> {
  const { exitCode } = await repository.run(['merge-base', '--is-ancestor', ancestor, descendant], {
    allowExitCodes: [1]
  })
  return exitCode === 0
}
