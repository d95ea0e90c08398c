// The publish step of a round: one commit of the change sets through the GitHub API, the
// workspace brought in line with it, and its outputs and summary line.

import * as core from '@actions/core'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'

import type { Clock } from '../clock.js'
import { writeAtomically } from '../history/write.js'
import { escapeHtml } from '../report/escape.js'
import type { ChangeSet } from './changeset.js'
import { type CommitOutcome, commitChangeSets } from './commit.js'
import { CommitError } from './commit-errors.js'
import { commitMessage, type CommitSettings } from './commit-settings.js'
import { actionsLog, createGitHubClient, type PublishLog } from './octokit.js'

/**
 * Time for the whole commit after a cancellation. The runner sends SIGTERM 7.5 s after SIGINT
 * and kills the step 2.5 s later, so 6 s leaves room for the summary and the outputs.
 */
export const CANCELLED_COMMIT_BUDGET_MS = 6000

/**
 * Attempts of the action's commit. Each attempt takes 2.5 s or more, because plugin-throttling
 * spaces the three writes 1 s apart. An event simulation (an estimate, not a measurement)
 * started 10 runs within 0.5 s on one branch, with 2.5 to 5 s attempts and the backoff of
 * commit.ts. With 5 attempts most trials lost a run, and with 10 none of 1000 did.
 */
export const ACTION_MAX_ATTEMPTS = 10

export interface PublishOptions {
  settings: Extract<CommitSettings, { enabled: true }>
  changeSets: ChangeSet[]
  /** The round's overall status, appended to the commit message. */
  status: string
  /** Absolute workspace path; committed files under `workspacePaths` are written there too. */
  workspace: string
  /** Repository paths whose committed content replaces the workspace copy (the history logs). */
  workspacePaths: ReadonlySet<string>
  /** True when the job was cancelled: commit quickly, without throttling, within a fixed budget. */
  cancelled: boolean
  clock?: Clock
  log?: PublishLog
}

export type PublishResult =
  | { ok: true; outcome: CommitOutcome; branch: string }
  | { ok: false; error: Error; branch: string }

/** Commits the change sets; a failure is returned, not thrown, so the report still follows. */
export async function publishRound(options: PublishOptions): Promise<PublishResult> {
  const { settings } = options
  const log = options.log ?? actionsLog

  // After a cancellation the 1 s spacing of writes by plugin-throttling and the retry delays
  // would not fit the budget, so that client sends each request once with a short timeout.
  const octokit = createGitHubClient({
    token: settings.token,
    throttle: !options.cancelled,
    retries: options.cancelled ? 0 : 3,
    requestTimeoutMs: options.cancelled ? 2000 : 30_000,
    log
  })
  // NOTE: a cancellation that arrives while a normal commit is running does not switch to
  // this fast path. That commit goes on with throttling until it ends or the runner kills it.
  const signal = options.cancelled ? AbortSignal.timeout(CANCELLED_COMMIT_BUDGET_MS) : undefined

  try {
    const outcome = await commitChangeSets({
      octokit,
      owner: settings.owner,
      repo: settings.repo,
      branch: settings.branch,
      message: commitMessage(settings.message, options.status),
      runMarker: settings.runMarker,
      changeSets: options.changeSets,
      maxAttempts: options.cancelled ? 3 : ACTION_MAX_ATTEMPTS,
      clock: options.clock,
      signal,
      log
    })
    if (!('noChange' in outcome)) await updateWorkspaceAfterCommit(options, outcome.files, log)
    return { ok: true, outcome, branch: settings.branch }
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error))
    return { ok: false, error: failure, branch: settings.branch }
  }
}

/**
 * Copies the committed files into the workspace. The commit has already landed, so a write
 * failure here is a warning and must not report the commit as failed.
 */
async function updateWorkspaceAfterCommit(
  options: PublishOptions,
  files: ReadonlyMap<string, string>,
  log: PublishLog
): Promise<void> {
  try {
    await updateWorkspace(options.workspace, files, options.workspacePaths)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    log.warning(`The commit succeeded, but the workspace copy of its files was not updated: ${reason}`)
  }
}

/** Writes the committed content of the listed paths into the workspace, so it matches the branch. */
async function updateWorkspace(
  workspace: string,
  files: ReadonlyMap<string, string>,
  paths: ReadonlySet<string>
): Promise<void> {
  for (const [repositoryPath, content] of files) {
    if (!paths.has(repositoryPath)) continue
    const file = path.join(workspace, ...repositoryPath.split('/'))
    await mkdir(path.dirname(file), { recursive: true })
    await writeAtomically(file, content)
  }
}

/** Sets `commit-sha` and `commit-verified` (empty and false when nothing was committed). */
export function setCommitOutputs(result: PublishResult | null): void {
  const committed = result?.ok && !('noChange' in result.outcome) ? result.outcome : null
  core.setOutput('commit-sha', committed?.sha ?? '')
  core.setOutput('commit-verified', committed ? String(committed.verified) : 'false')
}

/**
 * Renders the summary section of the commit: a link to it, or why it failed followed by the
 * lines that were not committed (repository path → line).
 */
export function commitSummaryHtml(result: PublishResult | null, lines: ReadonlyMap<string, string>): string {
  if (result === null) return '<p>Commit: off (input <code>commit: false</code>); the history is only in the workspace.</p>'

  if (!result.ok) {
    const rows = [...lines].map(([path, line]) => `${escapeHtml(path)}: ${escapeHtml(line)}`).join('\n')
    return (
      `<p><strong>Commit failed</strong> on branch <code>${escapeHtml(result.branch)}</code>: ` +
      `${escapeHtml(result.error.message)}</p>\n` +
      `<details><summary>History lines that were not committed</summary>\n<pre>${rows}</pre></details>`
    )
  }

  if ('noChange' in result.outcome) return `<p>Commit: no file changed on <code>${escapeHtml(result.branch)}</code>.</p>`

  const { sha, url, verified } = result.outcome
  return (
    `<p>Commit: <a href="${escapeHtml(url)}"><code>${sha.slice(0, 7)}</code></a> on ` +
    `<code>${escapeHtml(result.branch)}</code> (${verified ? 'verified' : 'not verified'}).</p>`
  )
}

/** Appends the commit section to the job summary, if the runner provides one. */
export async function writeCommitSummary(result: PublishResult | null, lines: ReadonlyMap<string, string>): Promise<void> {
  if (!process.env['GITHUB_STEP_SUMMARY']) return
  await core.summary.addRaw(commitSummaryHtml(result, lines), true).write()
}

/** Returns the step failure message, or null when the commit succeeded or was off. */
export function commitFailureMessage(result: PublishResult | null): string | null {
  if (result === null || result.ok) return null
  const code = result.error instanceof CommitError ? ` (${result.error.code})` : ''
  return `The history was not committed to branch '${result.branch}'${code}: ${result.error.message}`
}
