import { describe, expect, test } from '@jest/globals'

import { commitMessage, DEFAULT_COMMIT_MESSAGE, parseCommitSettings } from '../../src/publish/commit-settings.js'

const RUNNER_ENV = {
  GITHUB_REPOSITORY: 'privateaim/status',
  GITHUB_REF: 'refs/heads/main',
  GITHUB_RUN_ID: '4242',
  GITHUB_RUN_ATTEMPT: '2'
}

function parse(inputs: Record<string, string>, env: Record<string, string | undefined> = RUNNER_ENV) {
  const problems: string[] = []
  const all: Record<string, string> = { 'github-token': 'ghs_example', ...inputs }
  const settings = parseCommitSettings((name) => all[name] ?? '', env, problems)
  return { settings, problems }
}

describe('parseCommitSettings', () => {
  test('runner defaults fill everything', () => {
    const { settings, problems } = parse({})

    expect(problems).toEqual([])
    expect(settings).toEqual({
      enabled: true,
      token: 'ghs_example',
      owner: 'privateaim',
      repo: 'status',
      branch: 'main',
      message: DEFAULT_COMMIT_MESSAGE,
      runMarker: '4242/2'
    })
  })

  test('commit false needs nothing else', () => {
    const { settings, problems } = parse({ commit: 'false', 'github-token': '' }, {})

    expect(problems).toEqual([])
    expect(settings).toEqual({ enabled: false })
  })

  test('invalid commit value is named', () => {
    const { problems } = parse({ commit: 'yes' })

    expect(problems).toEqual(["Input 'commit' must be true or false, got 'yes'."])
  })

  test('empty token is named', () => {
    const { problems } = parse({ 'github-token': '' })

    expect(problems).toHaveLength(1)
    expect(problems[0]).toContain("Input 'github-token' is empty.")
    expect(problems[0]).toContain("'commit: false'")
  })

  test('inputs override the runner', () => {
    const { settings } = parse({ repository: 'other/repo', branch: 'refs/heads/status-data', 'commit-message': 'Log' })

    expect(settings).toMatchObject({ owner: 'other', repo: 'repo', branch: 'status-data', message: 'Log' })
  })

  test.each([
    ['refs/tags/v1.0.0', "The workflow runs on 'refs/tags/v1.0.0', which is not a branch."],
    ['refs/pull/7/merge', "The workflow runs on 'refs/pull/7/merge', which is not a branch."],
    ['', "Input 'branch' is empty and GITHUB_REF is not set."]
  ])('ref %s needs the branch input', (ref, message) => {
    const { problems } = parse({}, { ...RUNNER_ENV, GITHUB_REF: ref })

    expect(problems).toHaveLength(1)
    expect(problems[0]).toContain(message)
    expect(problems[0]).toContain("Set the input 'branch'")
  })

  test('tag ref with branch input is fine', () => {
    const { settings, problems } = parse({ branch: 'main' }, { ...RUNNER_ENV, GITHUB_REF: 'refs/tags/v1' })

    expect(problems).toEqual([])
    expect(settings).toMatchObject({ branch: 'main' })
  })

  test.each(['a b', '-x', 'a..b', 'x.lock', 'x~1', 'a:b', '.hidden', 'x/'])('branch %j is invalid', (branch) => {
    const { problems } = parse({ branch })

    expect(problems).toHaveLength(1)
    expect(problems[0]).toContain(`Input 'branch' is not a valid branch name: '${branch}'.`)
  })

  test.each(['status-data', 'feature/status', 'v1.x'])('branch %j is valid', (branch) => {
    expect(parse({ branch }).problems).toEqual([])
  })

  test.each([
    ['owner', "Input 'repository' must be owner/name, got 'owner'."],
    ['a/b/c', "Input 'repository' must be owner/name, got 'a/b/c'."]
  ])('repository %s is invalid', (repository, message) => {
    expect(parse({ repository }).problems).toEqual([message])
  })

  test('missing repository is named', () => {
    const { problems } = parse({}, { ...RUNNER_ENV, GITHUB_REPOSITORY: undefined })

    expect(problems).toEqual([
      "Input 'repository' is empty and GITHUB_REPOSITORY is not set. Give the repository as owner/name."
    ])
  })

  test('run marker outside a runner is random', () => {
    const first = parse({ branch: 'main', repository: 'a/b' }, {}).settings
    const second = parse({ branch: 'main', repository: 'a/b' }, {}).settings

    if (!first.enabled || !second.enabled) throw new Error('commit settings are disabled')
    expect(first.runMarker).toMatch(/^local-[0-9a-f-]{36}$/)
    expect(second.runMarker).not.toBe(first.runMarker)
  })

  test('run attempt defaults to 1', () => {
    const { settings } = parse({}, { ...RUNNER_ENV, GITHUB_RUN_ATTEMPT: undefined })

    expect(settings).toMatchObject({ runMarker: '4242/1' })
  })

  test('message gets the status', () => {
    expect(commitMessage(DEFAULT_COMMIT_MESSAGE, 'partial_outage')).toBe(
      '[Automated] Update E2E health check logs [skip ci] (status: partial_outage)'
    )
  })
})
