// The action's main job: settings → round → verdicts → history → report → exit status.

import * as core from '@actions/core'

import { systemClock } from './clock.js'
import { writeHistory, roundLines, type WrittenLog } from './history/write.js'
import { HubClient } from './hub/client.js'
import { historyChangeSet, historyFilePath } from './publish/history-changes.js'
import {
  commitFailureMessage,
  publishRound,
  type PublishResult,
  setCommitOutputs,
  writeCommitSummary
} from './publish/publish.js'
import { readSettings, SettingsError, type Settings } from './inputs.js'
import type { ChangeSet } from './publish/changeset.js'
import { statusPageChangeSets, statusPagePaths, writeChangeSetsToWorkspace } from './publish/status-page.js'
import { buildAnnotations, emitAnnotations } from './report/annotations.js'
import { roundFailureMessage } from './report/exit.js'
import { buildOutputs, buildReport, setOutputs } from './report/outputs.js'
import { writeSummary } from './report/summary.js'
import type { PairRecord, RoundRecord } from './round/record.js'
import { runRound } from './round/round.js'
import { mergeRound, pairPassed, type RoundVerdicts } from './verdict/merge.js'

/** The signals a runner sends on cancellation or timeout (SIGINT first, SIGTERM 7.5 s later). */
const CANCEL_SIGNALS = ['SIGINT', 'SIGTERM'] as const

export async function run(): Promise<void> {
  const settings = loadSettings()
  if (settings === null) return

  const controller = new AbortController()
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) return
    core.warning(`Received ${signal}; cancelling the round and writing what finished.`)
    controller.abort(new Error(`cancelled by ${signal}`))
  }
  for (const signal of CANCEL_SIGNALS) process.on(signal, onSignal)

  try {
    await runHealthCheck(settings, controller.signal)
  } catch (error) {
    core.setFailed(error instanceof Error ? error.message : String(error))
  } finally {
    for (const signal of CANCEL_SIGNALS) process.off(signal, onSignal)
  }
}

/**
 * Reads the inputs. On invalid inputs it reports each problem as one error line, fails the
 * step and returns null. The exit code is set directly, because core.setFailed would add a
 * second error line that names no input.
 */
function loadSettings(): Settings | null {
  try {
    return readSettings()
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error
    for (const problem of error.problems) core.error(problem, { title: 'Invalid input' })
    const count = error.problems.length
    core.info(`No round was run, because ${count} input${count === 1 ? ' is' : 's are'} invalid.`)
    process.exitCode = core.ExitCode.Failure
    return null
  }
}

async function runHealthCheck(settings: Settings, signal: AbortSignal): Promise<void> {
  core.info(
    `Checking the Hub at ${settings.coreUrl} with the nodes ${settings.nodes.join(', ')} in project ` +
      `'${settings.project}'.`
  )
  const record = await playRound(settings, signal)

  const verdicts = mergeRound(record, settings.nodes)
  const lines = roundLines(verdicts, record.startedAt)

  // A history file that cannot be written must not hide the round's result, so the report
  // still follows and the step fails at the end.
  const historyError = await core.group('History', () => writeRoundHistory(settings, lines))

  // The commit comes before the report, so the summary can link it. After a cancellation it
  // still runs, within a short budget.
  const committedLines = new Map([...lines].map(([key, line]) => [historyFilePath(settings.logDirRelative, key), line]))
  const page = buildStatusPage(settings, record, signal.aborted)
  const published = await commitRound(settings, lines, verdicts.overall, signal.aborted, page)
  if (!settings.commit.enabled) await core.group('Status page', () => writeStatusPage(settings, page))

  const report = buildReport(record, verdicts, { budgets: settings.budgets, latencyLimit: settings.latencyLimit })
  setOutputs(buildOutputs(report))
  await writeSummaryPart('round', () => writeSummary(report))
  emitAnnotations(buildAnnotations(verdicts))
  logVerdicts(verdicts)
  setCommitOutputs(published)
  await writeSummaryPart('commit', () => writeCommitSummary(published, committedLines))

  // A failed commit fails the step, because a green run that recorded nothing would hide it.
  const commitFailure = commitFailureMessage(published)
  if (commitFailure !== null) core.setFailed(commitFailure)

  if (historyError !== null) {
    core.setFailed(`The history files in ${settings.logDirRelative} were not written: ${historyError.message}`)
    return
  }
  decideExitStatus(settings, record, verdicts)
}

/**
 * Writes one section of the job summary. A summary file that cannot be written is a warning,
 * so the commit outputs and the step's exit status that follow are still set.
 */
async function writeSummaryPart(section: string, write: () => Promise<void>): Promise<void> {
  try {
    await write()
  } catch (error) {
    core.warning(`The ${section} section of the job summary was not written: ${error instanceof Error ? error.message : String(error)}`)
  }
}

/** Commits the round's history and status page files; returns null when the `commit` input is false. */
async function commitRound(
  settings: Settings,
  lines: ReadonlyMap<string, string>,
  status: string,
  cancelled: boolean,
  page: StatusPageFiles
): Promise<PublishResult | null> {
  if (!settings.commit.enabled) return null
  const commit = settings.commit

  return core.group(`Commit to ${commit.owner}/${commit.repo}@${commit.branch}`, async () => {
    const history = historyChangeSet({ logDir: settings.logDirRelative, lines, maxLines: settings.maxLogLines })
    const result = await publishRound({
      settings: commit,
      changeSets: [history, ...page.changeSets],
      status,
      workspace: settings.workspace,
      workspacePaths: new Set([...history.paths, ...page.paths]),
      cancelled
    })
    if (result.ok) core.info(`Commit: ${'noChange' in result.outcome ? 'no file changed' : result.outcome.url}`)
    return result
  })
}

interface StatusPageFiles {
  changeSets: ChangeSet[]
  /** Repository-relative paths the ChangeSets may write, for the workspace copy. */
  paths: string[]
}

/**
 * Builds the ChangeSets for status.json, badges and the missing page template. They run after
 * the history ChangeSet, so the artifacts describe the logs as committed. A problem here is
 * a warning, because the round's lines matter more than the page.
 */
function buildStatusPage(settings: Settings, record: RoundRecord, cancelled: boolean): StatusPageFiles {
  const options = {
    logDir: settings.logDirRelative,
    nodes: settings.nodes,
    aggregator: record.aggregator?.name ?? null,
    latencyLimitSeconds: settings.latencyLimit,
    // After a cancellation the commit has about 6 s, so it skips reading the template files.
    mode: cancelled ? ('off' as const) : settings.statusPage,
    now: systemClock.now()
  }
  try {
    const changeSets = statusPageChangeSets(options)
    return { changeSets, paths: statusPagePaths(options, changeSets) }
  } catch (error) {
    core.warning(`The status page files are left out: ${error instanceof Error ? error.message : String(error)}`)
    return { changeSets: [], paths: [] }
  }
}

/** Writes status.json, badges and missing template files into the workspace when nothing is committed. */
async function writeStatusPage(settings: Settings, page: StatusPageFiles): Promise<void> {
  try {
    const written = await writeChangeSetsToWorkspace(settings.workspace, page.changeSets)
    core.info(`Status page files written: ${written.length === 0 ? 'none changed' : written.join(', ')}`)
  } catch (error) {
    core.warning(`The status page files were not written: ${error instanceof Error ? error.message : String(error)}`)
  }
}

async function playRound(settings: Settings, signal: AbortSignal): Promise<RoundRecord> {
  const log = {
    info: (message: string) => core.info(message),
    debug: (message: string) => core.debug(message),
    warning: (message: string) => core.warning(message)
  }
  const hub = new HubClient({
    authUrl: settings.authUrl,
    coreUrl: settings.coreUrl,
    storageUrl: settings.storageUrl,
    username: settings.username,
    password: settings.password,
    realm: settings.realm,
    clock: systemClock,
    log
  })

  return runRound({
    hub,
    settings,
    clock: systemClock,
    signal,
    coreUrl: settings.coreUrl,
    log,
    onPhase: (phase, phaseLines) => {
      printGroup(`Phase ${phase}`, phaseLines)
    },
    onPairSettled: (pair) => {
      printGroup(`Pair with ${pair.node}: ${pairOutcome(pair)}`, pair.log)
    }
  })
}

/** Writes the round's lines into the workspace; returns the error instead of throwing it. */
async function writeRoundHistory(settings: Settings, lines: ReadonlyMap<string, string>): Promise<Error | null> {
  try {
    const written = await writeHistory({
      logDir: settings.logDir,
      lines,
      maxLines: settings.maxLogLines,
      warning: (message) => core.warning(message, { title: 'History file' })
    })
    logWritten(written, lines)
    return null
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error))
    core.error(failure.message, { title: 'History not written' })
    return failure
  }
}

/** Prints buffered lines as one group, so parallel pairs do not interleave. */
function printGroup(title: string, lines: readonly string[]): void {
  core.startGroup(title)
  for (const line of lines) core.info(line)
  core.endGroup()
}

function pairOutcome(pair: PairRecord): string {
  if (!pair.precheck.passed) return `pre-check failed (${pair.precheck.cause})`
  if (pairPassed(pair)) return pair.steps.latency.status === 'failed' ? 'passed, over the latency limit' : 'passed'
  if (pair.failedStep !== null) return `failed at ${pair.failedStep}`
  return 'unknown'
}

function logWritten(written: readonly WrittenLog[], lines: ReadonlyMap<string, string>): void {
  for (const file of written) {
    const count = `${file.lineCount} line${file.lineCount === 1 ? '' : 's'}`
    core.info(`${file.path}: ${lines.get(file.key)} (${count} in the file)`)
  }
}

function logVerdicts(verdicts: RoundVerdicts): void {
  core.info(`Overall status: ${verdicts.overall}`)
}

/** Fails the step on a misconfiguration, and on an unhealthy Hub when the `fail-on` input requires it. */
function decideExitStatus(settings: Settings, record: RoundRecord, verdicts: RoundVerdicts): void {
  const message = roundFailureMessage(settings.failOn, verdicts.overall, record.misconfiguration)
  if (message !== null) core.setFailed(message)
}
