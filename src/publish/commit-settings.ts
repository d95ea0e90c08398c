// Validation of the commit inputs (`commit`, `github-token`, `repository`, `branch`,
// `commit-message`). src/inputs.ts passes its input reader in, so it stays the only module
// that calls core.getInput.

import { randomUUID } from 'node:crypto'

export const DEFAULT_COMMIT_MESSAGE = '[Automated] Update E2E health check logs [skip ci]'

/** Target and message of the round's commit; `enabled: false` when the `commit` input is false. */
export type CommitSettings =
  | { enabled: false }
  | {
      enabled: true
      token: string
      owner: string
      repo: string
      branch: string
      /** Commit message before the overall status is appended. */
      message: string
      /** `<GITHUB_RUN_ID>/<GITHUB_RUN_ATTEMPT>`, or a random id outside a runner. */
      runMarker: string
    }

const TRUE_VALUES = ['true', 'True', 'TRUE']
const FALSE_VALUES = ['false', 'False', 'FALSE']
const REPOSITORY_PATTERN = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/

/**
 * Reads the commit inputs. `input` returns an input's trimmed value ('' when unset) and `env`
 * the runner's variables (GITHUB_REPOSITORY, GITHUB_REF, GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT).
 * Appends one message per invalid input to `problems`.
 */
export function parseCommitSettings(
  input: (name: string) => string,
  env: Record<string, string | undefined>,
  problems: string[]
): CommitSettings {
  const commitRaw = input('commit') || 'true'
  if (!TRUE_VALUES.includes(commitRaw) && !FALSE_VALUES.includes(commitRaw)) {
    problems.push(`Input 'commit' must be true or false, got '${commitRaw}'.`)
    return { enabled: false }
  }
  if (FALSE_VALUES.includes(commitRaw)) return { enabled: false }

  const token = input('github-token')
  if (token === '') {
    problems.push(
      "Input 'github-token' is empty. Leave it unset to use the workflow's token (`${{ github.token }}`) " +
        "with `permissions: contents: write`, or set 'commit: false' to skip the commit."
    )
  }

  const repository = input('repository') || (env['GITHUB_REPOSITORY'] ?? '')
  const [owner = '', repo = ''] = repository.split('/')
  if (!REPOSITORY_PATTERN.test(repository)) {
    problems.push(
      repository === ''
        ? "Input 'repository' is empty and GITHUB_REPOSITORY is not set. Give the repository as owner/name."
        : `Input 'repository' must be owner/name, got '${repository}'.`
    )
  }

  const branch = parseBranch(input('branch'), env['GITHUB_REF'] ?? '', problems)

  return {
    enabled: true,
    token,
    owner,
    repo,
    branch,
    message: input('commit-message') || DEFAULT_COMMIT_MESSAGE,
    runMarker: runMarker(env)
  }
}

/** Takes the `branch` input, else the branch of GITHUB_REF; a tag, pull request or detached ref needs the input. */
function parseBranch(raw: string, ref: string, problems: string[]): string {
  if (raw !== '') {
    const branch = raw.replace(/^refs\/heads\//, '')
    if (!isValidBranchName(branch)) {
      problems.push(
        `Input 'branch' is not a valid branch name: '${raw}'. Use a name such as main or status-data, ` +
          "without spaces, '..', '~', '^', ':', '?', '*', '[' or a leading '-'."
      )
    }
    return branch
  }

  if (ref.startsWith('refs/heads/')) return ref.slice('refs/heads/'.length)
  problems.push(
    ref === ''
      ? "Input 'branch' is empty and GITHUB_REF is not set. Set the input 'branch' to the branch that keeps the history, e.g. main."
      : `The workflow runs on '${ref}', which is not a branch. Set the input 'branch' to the branch that keeps ` +
          'the history, e.g. main.'
  )
  return ''
}

/** Checks the rules of `git check-ref-format --branch` that matter for a name typed into a workflow. */
function isValidBranchName(name: string): boolean {
  if (name === '' || name.startsWith('-') || name.startsWith('/') || name.endsWith('/') || name.endsWith('.')) {
    return false
  }
  if (name.includes('..') || name.includes('//') || name.includes('@{') || name === '@') return false
  if (/[\s~^:?*[\\\x00-\x1f\x7f]/.test(name)) return false
  return !name.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock'))
}

function runMarker(env: Record<string, string | undefined>): string {
  const runId = env['GITHUB_RUN_ID']?.trim()
  if (!runId) return `local-${randomUUID()}`
  return `${runId}/${env['GITHUB_RUN_ATTEMPT']?.trim() || '1'}`
}

/** Appends the overall status to the commit message, e.g. `… [skip ci] (status: operational)`. */
export function commitMessage(base: string, status: string): string {
  return `${base} (status: ${status})`
}
