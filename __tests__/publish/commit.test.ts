import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

import { afterEach, describe, expect, test } from '@jest/globals'

import { systemClock } from '../../src/clock.js'
import { backoffMs, commitChangeSets, type CommitOptions, type CommitResult } from '../../src/publish/commit.js'
import { CommitError } from '../../src/publish/commit-errors.js'
import { createGitHubClient } from '../../src/publish/octokit.js'
import { type GitHubEmulator, type GitHubEmulatorOptions, startGitHubEmulator } from '../../simulator/github/index.js'
import { appendChangeSet, emulatorClient, git, instantClock, memoryLog, show } from './helpers.js'

const SEED = {
  'README.md': '# Status\n',
  '.github/workflows/health.yml': 'on: schedule\n',
  'docs/logs/login_report.log': '2026-12-04 10:00, success, 1.00\n',
  'docs/index.html': '<html></html>\n'
}

let emulator: GitHubEmulator | undefined

afterEach(async () => {
  await emulator?.stop()
  emulator = undefined
})

async function start(options: GitHubEmulatorOptions = {}): Promise<GitHubEmulator> {
  emulator = await startGitHubEmulator({ seed: SEED, ...options })
  return emulator
}

function commitOptions(
  target: GitHubEmulator,
  overrides: Partial<CommitOptions> & { token?: string; throttle?: boolean; maxRateLimitWaitSeconds?: number } = {}
): CommitOptions & { log: ReturnType<typeof memoryLog>; clock: ReturnType<typeof instantClock> } {
  const log = memoryLog()
  const clock = instantClock()
  const { token, throttle, maxRateLimitWaitSeconds, ...rest } = overrides
  return {
    octokit: emulatorClient(target, log, { token, throttle, maxRateLimitWaitSeconds }),
    owner: target.owner,
    repo: target.repo,
    branch: 'main',
    message: '[Automated] Update E2E health check logs [skip ci]',
    runMarker: '1001/1',
    changeSets: [appendChangeSet({ 'docs/logs/login_report.log': '2026-12-04 10:30, success, 2.00' })],
    clock,
    log,
    random: () => 0.5,
    ...rest
  } as CommitOptions & { log: ReturnType<typeof memoryLog>; clock: ReturnType<typeof instantClock> }
}

async function expectCommitError(promise: Promise<unknown>): Promise<CommitError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught
  )
  expect(error).toBeInstanceOf(CommitError)
  return error as CommitError
}

function assertHealthyHistory(target: GitHubEmulator): void {
  expect(git(target, 'rev-list', '--merges', 'main')).toBe('')
  expect(() => git(target, 'fsck', '--strict', '--no-dangling')).not.toThrow()
  expect(target.stats().forcedUpdates).toBe(0)
}

describe('commitChangeSets', () => {
  test('one commit of several files keeps the tree', async () => {
    const target = await start()
    const seedHead = git(target, 'rev-parse', 'main')
    const options = commitOptions(target, {
      changeSets: [
        appendChangeSet({
          'docs/logs/login_report.log': '2026-12-04 10:30, success, 2.00',
          'docs/logs/node_a_report.log': '2026-12-04 10:30, failed, '
        })
      ]
    })

    const result = (await commitChangeSets(options)) as CommitResult

    expect(result.attempts).toBe(1)
    expect(result.foundByMarker).toBe(false)
    expect(result.verified).toBe(true)
    expect(result.reason).toBe('valid')
    expect(result.url).toBe(`${target.url}/web/${target.owner}/${target.repo}/commit/${result.sha}`)
    expect(git(target, 'rev-parse', 'main')).toBe(result.sha)
    expect(git(target, 'rev-parse', 'main^')).toBe(seedHead)
    expect(git(target, 'log', '-1', '--format=%an <%ae>', 'main')).toBe(
      'github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>'
    )
    expect(git(target, 'log', '-1', '--format=%B', 'main')).toBe(
      '[Automated] Update E2E health check logs [skip ci]\n\nRun: 1001/1'
    )
    expect(show(target, 'docs/logs/login_report.log')).toBe(
      '2026-12-04 10:00, success, 1.00\n2026-12-04 10:30, success, 2.00\n'
    )
    expect(show(target, 'docs/logs/node_a_report.log')).toBe('2026-12-04 10:30, failed, \n')
    expect(git(target, 'diff', '--name-only', 'main^', 'main').split('\n').sort()).toEqual([
      'docs/logs/login_report.log',
      'docs/logs/node_a_report.log'
    ])
    expect(show(target, '.github/workflows/health.yml')).toBe('on: schedule\n')
    expect(show(target, 'README.md')).toBe('# Status\n')
    expect(show(target, 'docs/index.html')).toBe('<html></html>\n')
    assertHealthyHistory(target)
  })

  test('no change makes no commit', async () => {
    const target = await start()
    const seedHead = git(target, 'rev-parse', 'main')
    const unchanged = { paths: ['README.md'], build: () => new Map([['README.md', '# Status\n']]) }

    const result = await commitChangeSets(commitOptions(target, { changeSets: [unchanged] }))

    expect(result).toEqual({ noChange: true, attempts: 1 })
    expect(git(target, 'rev-parse', 'main')).toBe(seedHead)
    expect(target.stats().calls.createCommit).toBeUndefined()
  })

  test('change sets sharing a path chain', async () => {
    const target = await start()
    const first = appendChangeSet({ 'docs/logs/login_report.log': 'first' })
    const second = appendChangeSet({ 'docs/logs/login_report.log': 'second' })

    await commitChangeSets(commitOptions(target, { changeSets: [first, second] }))

    expect(show(target, 'docs/logs/login_report.log')).toBe('2026-12-04 10:00, success, 1.00\nfirst\nsecond\n')
  })

  test('competing commit once is re-applied', async () => {
    const target = await start()
    target.faults.add({
      endpoint: 'updateRef',
      fault: { kind: 'competing-commit', append: { 'docs/logs/login_report.log': 'other run\n' } }
    })
    const options = commitOptions(target)

    const result = (await commitChangeSets(options)) as CommitResult

    expect(result.attempts).toBe(2)
    expect(show(target, 'docs/logs/login_report.log')).toBe(
      '2026-12-04 10:00, success, 1.00\nother run\n2026-12-04 10:30, success, 2.00\n'
    )
    expect(git(target, 'log', '--format=%s', 'main').split('\n')).toEqual([
      '[Automated] Update E2E health check logs [skip ci]',
      'Competing commit 1',
      'Initial commit'
    ])
    expect(target.stats().calls.updateRef).toBe(2)
    expect(options.clock.sleeps).toHaveLength(1)
    expect(options.log.lines.some((line) => line.includes('422 Update is not a fast forward'))).toBe(true)
    assertHealthyHistory(target)
  })

  test('writer that always wins exhausts attempts', async () => {
    const target = await start()
    target.faults.add({ endpoint: 'updateRef', fault: { kind: 'competing-commit' }, times: Infinity })
    const options = commitOptions(target)

    const error = await expectCommitError(commitChangeSets(options))

    expect(error.code).toBe('gave-up')
    expect(error.details.attempts).toBe(5)
    expect(error.message).toContain('in 5 attempts')
    expect(error.message).toContain('422 Update is not a fast forward')
    expect(target.stats().calls.updateRef).toBe(5)
    expect(options.clock.sleeps).toHaveLength(4)
    expect(git(target, 'log', '--format=%s', 'main')).not.toContain('[Automated]')
    assertHealthyHistory(target)
  })

  test('server error on read is retried by the plugin', async () => {
    const target = await start()
    target.faults.add({ endpoint: 'getRef', fault: { kind: 'server-error', status: 502 } })

    const result = (await commitChangeSets(commitOptions(target))) as CommitResult

    expect(result.attempts).toBe(1)
    expect(target.stats().calls.getRef).toBe(2)
    expect(git(target, 'rev-parse', 'main')).toBe(result.sha)
  })

  test('server error on ref update is not resent', async () => {
    const target = await start()
    target.faults.add({ endpoint: 'updateRef', fault: { kind: 'server-error', status: 500 } })

    const result = (await commitChangeSets(commitOptions(target))) as CommitResult

    expect(result.attempts).toBe(2)
    expect(target.stats().calls.updateRef).toBe(2)
    expect(show(target, 'docs/logs/login_report.log').match(/10:30/g)).toHaveLength(1)
  })

  test('server error on every call gives up', async () => {
    const target = await start()
    target.faults.add({ endpoint: 'createTree', fault: { kind: 'server-error', status: 503 }, times: Infinity })

    const error = await expectCommitError(commitChangeSets(commitOptions(target, { maxAttempts: 2 })))

    expect(error.code).toBe('gave-up')
    expect(error.message).toContain('503 Server Error')
    expect(target.stats().calls.createTree).toBe(8)
  })

  test('timed-out read is retried', async () => {
    const target = await start()
    target.faults.add({ endpoint: 'getRef', fault: { kind: 'slow-response', delayMs: 1500 } })
    const log = memoryLog()
    const octokit = createGitHubClient({
      token: 'test-token',
      baseUrl: target.url,
      throttle: false,
      millisecondsPerSecond: 1,
      requestTimeoutMs: 500,
      log
    })

    const result = (await commitChangeSets({ ...commitOptions(target), octokit })) as CommitResult

    // Each resend gets a fresh timeout; a timeout shared by all resends would fail the second one too.
    expect(result.attempts).toBe(1)
    expect(target.stats().calls.getRef).toBe(2)
  })

  test('unreachable API fails at once', async () => {
    const target = await start()
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const { port } = closed.address() as AddressInfo
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const log = memoryLog()
    const octokit = createGitHubClient({
      token: 'test-token',
      baseUrl: `http://127.0.0.1:${port}`,
      throttle: false,
      millisecondsPerSecond: 1,
      log
    })

    const error = await expectCommitError(commitChangeSets({ ...commitOptions(target), octokit }))

    expect(error.code).toBe('unreachable')
    expect(error.message).toContain('ECONNREFUSED')
    expect(error.message).toContain('GITHUB_API_URL')
  })

  test('dropped ref update reply is not committed twice', async () => {
    const target = await start()
    target.faults.add({ endpoint: 'updateRef', fault: { kind: 'drop-response' } })
    const options = commitOptions(target)

    const result = (await commitChangeSets(options)) as CommitResult

    expect(result.foundByMarker).toBe(true)
    expect(result.attempts).toBe(2)
    expect(result.verified).toBe(true)
    expect(git(target, 'rev-parse', 'main')).toBe(result.sha)
    expect(target.stats().calls.updateRef).toBe(1)
    expect(show(target, 'docs/logs/login_report.log').match(/10:30/g)).toHaveLength(1)
    expect(git(target, 'rev-list', '--count', 'main')).toBe('2')
    assertHealthyHistory(target)
  })

  test('dropped reply found below a newer commit', async () => {
    const target = await start()
    target.faults.add({ endpoint: 'updateRef', fault: { kind: 'drop-response' } })
    target.faults.add({ endpoint: 'getRef', fault: { kind: 'competing-commit' }, skip: 1 })

    const result = (await commitChangeSets(commitOptions(target))) as CommitResult

    expect(result.foundByMarker).toBe(true)
    expect(git(target, 'rev-parse', 'main^')).toBe(result.sha)
    expect(git(target, 'log', '-1', '--format=%s', 'main')).toBe('Competing commit 1')
    expect(show(target, 'docs/logs/login_report.log').match(/10:30/g)).toHaveLength(1)
    assertHealthyHistory(target)
  })

  test('primary rate limit is waited out', async () => {
    const target = await start()
    target.faults.add({ endpoint: 'getRef', fault: { kind: 'rate-limit', resetSeconds: 2 } })
    const options = commitOptions(target, { throttle: true })

    const result = (await commitChangeSets(options)) as CommitResult

    expect(result.attempts).toBe(1)
    expect(target.stats().calls.getRef).toBe(2)
    expect(options.log.lines.some((line) => line.includes('primary rate limit') && line.includes('waiting'))).toBe(true)
  })

  test('rate limit past the bound fails', async () => {
    const target = await start()
    target.faults.add({ endpoint: 'getRef', fault: { kind: 'rate-limit', resetSeconds: 3600 } })

    const error = await expectCommitError(commitChangeSets(commitOptions(target, { throttle: true, maxRateLimitWaitSeconds: 60 })))

    expect(error.code).toBe('rate-limited')
    expect(error.details.status).toBe(403)
    expect(target.stats().calls.getRef).toBe(1)
  })

  test.each([403, 429] as const)('secondary rate limit %i is waited out', async (status) => {
    const target = await start()
    target.faults.add({ endpoint: 'createCommit', fault: { kind: 'secondary-rate-limit', status, retryAfterSeconds: 3 } })
    const options = commitOptions(target, { throttle: true })

    const result = (await commitChangeSets(options)) as CommitResult

    expect(result.attempts).toBe(1)
    expect(target.stats().calls.createCommit).toBe(2)
    expect(options.log.lines.some((line) => line.includes('secondary rate limit') && line.includes('waiting 3 s'))).toBe(true)
  })

  test('secondary rate limit without end fails', async () => {
    const target = await start()
    target.faults.add({
      endpoint: 'createTree',
      fault: { kind: 'secondary-rate-limit', status: 429, retryAfterSeconds: 1 },
      times: Infinity
    })

    const error = await expectCommitError(commitChangeSets(commitOptions(target, { throttle: true })))

    expect(error.code).toBe('rate-limited')
    expect(error.details.status).toBe(429)
    expect(target.stats().calls.createTree).toBe(3)
  })

  test('missing permission prints the snippet', async () => {
    const target = await start()
    target.faults.add({ endpoint: 'createTree', fault: { kind: 'no-permission' } })

    const error = await expectCommitError(commitChangeSets(commitOptions(target)))

    expect(error.code).toBe('permission')
    expect(error.message).toContain('403 Resource not accessible by integration')
    expect(error.message).toContain('permissions:\n  contents: write')
    expect(target.stats().calls.createTree).toBe(1)
  })

  test.each([
    ['protection', 422, 'Protected branch update failed'],
    ['ruleset', 409, 'Repository rule violations found']
  ] as const)('protected branch by %s is not retried', async (rule, status, text) => {
    const target = await start()
    const seedHead = git(target, 'rev-parse', 'main')
    target.faults.add({ endpoint: 'updateRef', fault: { kind: 'protected-branch', rule } })

    const error = await expectCommitError(commitChangeSets(commitOptions(target)))

    expect(error.code).toBe('protected-branch')
    expect(error.details.status).toBe(status)
    expect(error.message).toContain(text)
    expect(error.message).toContain("Set the input 'branch' to a data branch")
    expect(target.stats().calls.updateRef).toBe(1)
    expect(git(target, 'rev-parse', 'main')).toBe(seedHead)
  })

  test('empty repository is named', async () => {
    const target = await start({ seed: 'empty' })

    const error = await expectCommitError(commitChangeSets(commitOptions(target)))

    expect(error.code).toBe('empty-repository')
    expect(error.message).toContain('409 Git Repository is empty.')
    expect(error.message).toContain("Push a first commit to branch 'main'")
    expect(target.stats().calls.getRef).toBe(1)
  })

  test('empty repository fault is not retried', async () => {
    const target = await start()
    target.faults.add({ endpoint: 'getRef', fault: { kind: 'empty-repository' } })

    const error = await expectCommitError(commitChangeSets(commitOptions(target)))

    expect(error.code).toBe('empty-repository')
    expect(target.stats().calls.getRef).toBe(1)
  })

  test('missing branch is named', async () => {
    const target = await start()

    const error = await expectCommitError(commitChangeSets(commitOptions(target, { branch: 'data' })))

    expect(error.code).toBe('branch-not-found')
    expect(error.message).toContain(`Branch 'data' was not found in ${target.owner}/${target.repo}`)
  })

  test('branch 404 fault is a missing branch', async () => {
    const target = await start()
    target.faults.add({ endpoint: 'getRef', fault: { kind: 'not-found' } })

    const error = await expectCommitError(commitChangeSets(commitOptions(target)))

    expect(error.code).toBe('branch-not-found')
  })

  test('missing repository is named', async () => {
    const target = await start()

    const error = await expectCommitError(commitChangeSets(commitOptions(target, { repo: 'elsewhere' })))

    expect(error.code).toBe('repository-not-found')
    expect(error.message).toContain(`Repository ${target.owner}/elsewhere was not found`)
  })

  test('bad token is named', async () => {
    const target = await start({ token: 'right-token' })

    const error = await expectCommitError(commitChangeSets(commitOptions(target, { token: 'wrong-token' })))

    expect(error.code).toBe('bad-credentials')
    expect(error.message).toContain('401 Bad credentials')
    expect(error.message).not.toContain('wrong-token')
  })

  test('file over 1 MiB is read as a blob', async () => {
    const big = `${'2026-12-01 00:00, success, 1.00\n'.repeat(40_000)}`
    const target = await start({ seed: { ...SEED, 'docs/logs/big_report.log': big } })

    await commitChangeSets(
      commitOptions(target, { changeSets: [appendChangeSet({ 'docs/logs/big_report.log': 'new line' })] })
    )

    expect(Buffer.byteLength(big)).toBeGreaterThan(1024 * 1024)
    expect(show(target, 'docs/logs/big_report.log')).toBe(`${big}new line\n`)
    expect(target.stats().calls.getBlob).toBe(1)
  })

  test('aborted signal cancels', async () => {
    const target = await start()
    const controller = new AbortController()
    controller.abort(new Error('cancelled by test'))

    const error = await expectCommitError(commitChangeSets(commitOptions(target, { signal: controller.signal })))

    expect(error.code).toBe('cancelled')
  })

  test('abort during a request is not retried', async () => {
    const target = await start()
    target.faults.add({ endpoint: 'getRef', fault: { kind: 'slow-response', delayMs: 1000 } })
    const controller = new AbortController()
    setTimeout(() => controller.abort(new Error('cancelled by test')), 100)

    const error = await expectCommitError(commitChangeSets(commitOptions(target, { signal: controller.signal })))

    expect(error.code).toBe('cancelled')
    expect(target.stats().calls.getRef).toBe(1)
  })

  test('abort during backoff cancels', async () => {
    const target = await start()
    target.faults.add({ endpoint: 'updateRef', fault: { kind: 'competing-commit' }, times: Infinity })
    const controller = new AbortController()
    const options = commitOptions(target, { signal: controller.signal })
    options.clock.sleep = async (_ms, signal) => {
      controller.abort(new Error('cancelled by test'))
      if (signal?.aborted) throw signal.reason
    }

    const error = await expectCommitError(commitChangeSets(options))

    expect(error.code).toBe('cancelled')
    expect(target.stats().calls.updateRef).toBe(1)
  })

  test('invalid run marker is rejected', async () => {
    const target = await start()

    await expect(commitChangeSets(commitOptions(target, { runMarker: ' ' }))).rejects.toThrow(
      "Run marker ' ' is invalid"
    )
  })

  test('concurrent commits in one process keep every line', async () => {
    const target = await start()
    // Backoff sleeps for real at 1/20 of its length, so the runs spread out as they would on GitHub.
    const scaledClock = { now: () => Date.now(), sleep: (ms: number, signal?: AbortSignal) => systemClock.sleep(ms / 20, signal) }
    const runs = Array.from({ length: 4 }, (_, index) =>
      commitChangeSets({
        ...commitOptions(target, {
          runMarker: `${2000 + index}/1`,
          random: Math.random,
          maxAttempts: 10,
          changeSets: [appendChangeSet({ 'docs/logs/login_report.log': `line from run ${index}` })]
        }),
        clock: scaledClock
      })
    )

    await Promise.all(runs)

    const log = show(target, 'docs/logs/login_report.log')
    for (let index = 0; index < 4; index += 1) expect(log.split(`line from run ${index}\n`)).toHaveLength(2)
    expect(git(target, 'rev-list', '--count', 'main')).toBe('5')
    assertHealthyHistory(target)
  })
})

describe('backoffMs', () => {
  test.each([
    [1, 0, 0.5, 125],
    [2, 0, 0.5, 250],
    [1, 2000, 0.5, 1000],
    [3, 2000, 0.5, 4000],
    [8, 2000, 0.5, 15000],
    [1, 2000, 0, 0]
  ])('retry %i after %i ms with %f', (retry, lastAttemptMs, random, expected) => {
    expect(backoffMs(retry, lastAttemptMs, () => random)).toBe(expected)
  })
})
