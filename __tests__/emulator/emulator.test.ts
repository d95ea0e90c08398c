import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'

import { type GitHubEmulator, startGitHubEmulator } from '../../simulator/github/index.js'
import { git, show } from '../publish/helpers.js'

let emulator: GitHubEmulator
let base: string

beforeAll(async () => {
  emulator = await startGitHubEmulator({
    seed: { 'README.md': '# Status\n', 'docs/logs/login_report.log': 'one\n', 'docs/a/b/deep.txt': 'deep\n' },
    token: 'emulator-token'
  })
  base = `${emulator.url}/repos/${emulator.owner}/${emulator.repo}`
})

afterAll(async () => {
  await emulator.stop()
})

interface Response {
  status: number
  body: Record<string, unknown> & { message?: string }
}

async function call(method: string, path: string, body?: unknown, token = 'emulator-token'): Promise<Response> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `token ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  return { status: response.status, body: (await response.json()) as Response['body'] }
}

async function head(): Promise<string> {
  const { body } = await call('GET', '/git/ref/heads%2Fmain')
  return (body.object as { sha: string }).sha
}

async function commitOnTop(files: Record<string, string | null>, parent: string): Promise<string> {
  const parentCommit = await call('GET', `/git/commits/${parent}`)
  const tree = await call('POST', '/git/trees', {
    base_tree: (parentCommit.body.tree as { sha: string }).sha,
    tree: Object.entries(files).map(([path, content]) =>
      content === null
        ? { path, mode: '100644', type: 'blob', sha: null }
        : { path, mode: '100644', type: 'blob', content }
    )
  })
  const commit = await call('POST', '/git/commits', { message: 'test commit', tree: tree.body.sha, parents: [parent] })
  return commit.body.sha as string
}

describe('GitHub emulator', () => {
  test('getRef returns the branch head', async () => {
    const { status, body } = await call('GET', '/git/ref/heads%2Fmain')

    expect(status).toBe(200)
    expect(body.ref).toBe('refs/heads/main')
    expect(body.object).toEqual({
      type: 'commit',
      sha: git(emulator, 'rev-parse', 'main'),
      url: `${base}/git/commits/${git(emulator, 'rev-parse', 'main')}`
    })
  })

  test('getRef of a missing branch is 404', async () => {
    const { status, body } = await call('GET', '/git/ref/heads%2Fnope')

    expect(status).toBe(404)
    expect(body).toEqual({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' })
  })

  test('wrong token is 401', async () => {
    const { status, body } = await call('GET', '/git/ref/heads%2Fmain', undefined, 'other')

    expect(status).toBe(401)
    expect(body.message).toBe('Bad credentials')
  })

  test('getCommit parses the seed commit', async () => {
    const sha = git(emulator, 'rev-parse', 'main')

    const { status, body } = await call('GET', `/git/commits/${sha}`)

    expect(status).toBe(200)
    expect(body.message).toBe('Initial commit')
    expect(body.parents).toEqual([])
    expect((body.tree as { sha: string }).sha).toBe(git(emulator, 'rev-parse', 'main^{tree}'))
    expect((body.author as { name: string }).name).toBe('Seed')
    expect(body.verification).toMatchObject({ verified: false, reason: 'unsigned' })
  })

  test('contents returns wrapped base64', async () => {
    const { status, body } = await call('GET', `/contents/docs%2Flogs%2Flogin_report.log?ref=main`)

    expect(status).toBe(200)
    expect(body).toMatchObject({ type: 'file', encoding: 'base64', size: 4, path: 'docs/logs/login_report.log' })
    expect(Buffer.from(body.content as string, 'base64').toString('utf8')).toBe('one\n')
    expect(body.sha).toBe(git(emulator, 'rev-parse', 'main:docs/logs/login_report.log'))
  })

  test('contents of a missing file is 404', async () => {
    const { status } = await call('GET', `/contents/docs%2Flogs%2Fnone.log?ref=main`)

    expect(status).toBe(404)
  })

  test('contents of a directory lists it', async () => {
    const { status, body } = await call('GET', `/contents/docs?ref=main`)

    expect(status).toBe(200)
    expect(Array.isArray(body)).toBe(true)
    expect((body as unknown as { name: string; type: string }[]).map((item) => `${item.type}:${item.name}`).sort()).toEqual([
      'dir:a',
      'dir:logs'
    ])
  })

  test('blob round trip wraps at 60', async () => {
    const content = 'x'.repeat(100)
    const created = await call('POST', '/git/blobs', { content, encoding: 'utf-8' })

    const read = await call('GET', `/git/blobs/${created.body.sha}`)

    expect(created.status).toBe(201)
    expect(read.body.size).toBe(100)
    const lines = (read.body.content as string).split('\n')
    expect(lines[0]).toHaveLength(60)
    expect(Buffer.from(read.body.content as string, 'base64').toString('utf8')).toBe(content)
  })

  test('recursive tree lists nested paths', async () => {
    const sha = git(emulator, 'rev-parse', 'main^{tree}')

    const { body } = await call('GET', `/git/trees/${sha}?recursive=1`)

    const paths = (body.tree as { path: string; type: string }[]).map((entry) => `${entry.type}:${entry.path}`)
    expect(paths).toContain('blob:docs/a/b/deep.txt')
    expect(paths).toContain('tree:docs/a/b')
    expect(body.truncated).toBe(false)
  })

  test('tree entry with sha and content is 422', async () => {
    const { status, body } = await call('POST', '/git/trees', {
      tree: [{ path: 'x', mode: '100644', type: 'blob', content: 'x', sha: git(emulator, 'rev-parse', 'main:README.md') }]
    })

    expect(status).toBe(422)
    expect(body.message).toContain('both sha and content')
  })

  test('tree path escaping the repository is 422', async () => {
    const { status } = await call('POST', '/git/trees', { tree: [{ path: '../x', mode: '100644', type: 'blob', content: 'x' }] })

    expect(status).toBe(422)
  })

  test('commit on base tree adds, deletes, keeps', async () => {
    const parent = await head()
    const sha = await commitOnTop({ 'new/file.txt': 'new\n', 'docs/a/b/deep.txt': null }, parent)

    const update = await call('PATCH', '/git/refs/heads%2Fmain', { sha, force: false })

    expect(update.status).toBe(200)
    expect(git(emulator, 'rev-parse', 'main')).toBe(sha)
    expect(show(emulator, 'new/file.txt')).toBe('new\n')
    expect(show(emulator, 'README.md')).toBe('# Status\n')
    expect(git(emulator, 'ls-tree', '-r', '--name-only', 'main')).not.toContain('deep.txt')
    expect(git(emulator, 'log', '-1', '--format=%an|%cn', 'main')).toBe('github-actions[bot]|GitHub')
  })

  test('non-fast-forward update is 422', async () => {
    const parent = await head()
    const first = await commitOnTop({ 'race.txt': 'first\n' }, parent)
    const second = await commitOnTop({ 'race.txt': 'second\n' }, parent)
    await call('PATCH', '/git/refs/heads%2Fmain', { sha: first, force: false })

    const rejected = await call('PATCH', '/git/refs/heads%2Fmain', { sha: second, force: false })

    expect(rejected.status).toBe(422)
    expect(rejected.body.message).toBe('Update is not a fast forward')
    expect(git(emulator, 'rev-parse', 'main')).toBe(first)
  })

  test('forced update is recorded', async () => {
    const parent = await head()
    const before = emulator.stats().forcedUpdates
    const sibling = await commitOnTop({ 'force.txt': 'x\n' }, git(emulator, 'rev-parse', `${parent}^`))

    const forced = await call('PATCH', '/git/refs/heads%2Fmain', { sha: sibling, force: true })

    expect(forced.status).toBe(200)
    expect(emulator.stats().forcedUpdates).toBe(before + 1)
    expect(emulator.stats().refUpdates.at(-1)).toMatchObject({ from: parent, to: sibling, forced: true })
  })

  test('createRef makes a branch once', async () => {
    const sha = await head()

    const created = await call('POST', '/git/refs', { ref: 'refs/heads/status-data', sha })
    const again = await call('POST', '/git/refs', { ref: 'refs/heads/status-data', sha })

    expect(created.status).toBe(201)
    expect(git(emulator, 'rev-parse', 'status-data')).toBe(sha)
    expect(again.status).toBe(422)
    expect(again.body.message).toBe('Reference already exists')
  })

  test('listCommits returns newest first', async () => {
    const sha = await head()

    const response = await fetch(`${base}/commits?sha=${sha}&per_page=2`, {
      headers: { authorization: 'token emulator-token' }
    })
    const body = (await response.json()) as { sha: string; commit: { message: string } }[]

    expect(body).toHaveLength(2)
    expect(body[0]!.sha).toBe(sha)
    expect(body[1]!.sha).toBe(git(emulator, 'rev-parse', `${sha}^`))
  })

  test('getRepo names the default branch', async () => {
    const { status, body } = await call('GET', '')

    expect(status).toBe(200)
    expect(body.full_name).toBe(`${emulator.owner}/${emulator.repo}`)
    expect(body.default_branch).toBe('main')
  })

  test('skip lets the first calls through', async () => {
    emulator.faults.add({ endpoint: 'getRepo', fault: { kind: 'server-error', status: 503 }, skip: 1 })

    const first = await call('GET', '')
    const second = await call('GET', '')
    const third = await call('GET', '')

    expect([first.status, second.status, third.status]).toEqual([200, 503, 200])
    expect(emulator.faults.pending()).toBe(0)
  })

  test('fsck passes after the tests', () => {
    expect(() => git(emulator, 'fsck', '--strict')).not.toThrow()
  })
})

describe('GitHub emulator, empty repository', () => {
  test('git endpoints answer 409', async () => {
    const empty = await startGitHubEmulator({ seed: 'empty' })
    try {
      const response = await fetch(`${empty.url}/repos/${empty.owner}/${empty.repo}/git/ref/heads%2Fmain`)
      const body = (await response.json()) as { message: string }

      expect(response.status).toBe(409)
      expect(body.message).toBe('Git Repository is empty.')
    } finally {
      await empty.stop()
    }
  })
})
