// Waiting for the Hub: every wait polls with a deadline and the round's abort signal.
// Adaptive polling notices a finished phase quickly without flooding the Hub; fixed
// polling repeats the Python predecessor's schedule so the benchmark can compare both.

import type { Clock } from '../clock.js'
import { HubError } from '../hub/errors.js'
import { DeadlineExceeded } from './failure.js'
import type { PollingMode } from './settings.js'

/** First gap of an adaptive wait; a phase that is already done is seen after one poll. */
export const ADAPTIVE_FIRST_DELAY_MS = 200
/**
 * The poll interval whose schedules the fixed constants describe (the input's default, 3 s).
 * A shorter interval shrinks the first adaptive gap and the fixed bucket poll and upload
 * pause in proportion, so a time-scaled round (simulator, benchmark) keeps the schedule's shape.
 */
export const REFERENCE_POLL_INTERVAL_MS = 3000
/** Growth of the gap between adaptive polls, until it reaches the wait's interval. */
export const ADAPTIVE_BACKOFF_FACTOR = 1.6

export interface PollOptions {
  clock: Clock
  signal?: AbortSignal
  /** Absolute deadline in ms since the epoch (from `clock`). */
  deadline: number
  mode: PollingMode
  /** Gap between polls in `fixed` mode; maximum gap in `adaptive` mode. */
  intervalMs: number
  /** Called before every poll, for counting. */
  onPoll?: () => void
  /** Called for every HubError the wait tolerates. */
  onTransientError?: (error: HubError) => void
}

export type PollResult<T> =
  | { done: true; value: T; polls: number }
  | { done: false; polls: number; lastError: HubError | null }

/**
 * Call `probe` until it returns a value other than undefined or the deadline passes. A
 * HubError from the probe counts as "not yet" until the deadline, because the client has
 * already retried it. Any other error (a StepFailure for a terminal Hub state, or a bug)
 * ends the wait at once. Rejects when the signal aborts: with the signal's reason between
 * polls, or with the probe's own error when the abort cut a poll short.
 */
export async function pollUntil<T>(probe: () => Promise<T | undefined>, options: PollOptions): Promise<PollResult<T>> {
  const { clock, signal, deadline } = options
  const delays = pollDelays(options.mode, options.intervalMs)
  let polls = 0
  let lastError: HubError | null = null

  for (;;) {
    signal?.throwIfAborted()
    options.onPoll?.()
    polls += 1

    try {
      const value = await probe()
      if (value !== undefined) return { done: true, value, polls }
    } catch (error) {
      if (!(error instanceof HubError) || signal?.aborted) throw error
      lastError = error
      options.onTransientError?.(error)
    }

    const remaining = deadline - clock.now()
    if (remaining <= 0) return { done: false, polls, lastError }

    // The last sleep is cut to the deadline so the final poll happens right at it.
    await clock.sleep(Math.min(delays.next().value, remaining), signal)
  }
}

/** Gaps between polls in ms: constant in fixed mode, geometric up to the interval in adaptive mode. */
export function* pollDelays(mode: PollingMode, intervalMs: number): Generator<number, never> {
  if (mode === 'fixed') {
    for (;;) yield intervalMs
  }

  let delay = scaledBelowReference(ADAPTIVE_FIRST_DELAY_MS, intervalMs)
  for (;;) {
    yield delay
    delay = Math.min(Math.round(delay * ADAPTIVE_BACKOFF_FACTOR), intervalMs)
  }
}

/**
 * Scale a schedule constant written for the 3 s reference interval down to a shorter
 * `intervalMs`. At or above the reference the constant stays as it is.
 */
export function scaledBelowReference(constantMs: number, intervalMs: number): number {
  return constantMs * Math.min(1, intervalMs / REFERENCE_POLL_INTERVAL_MS)
}

/**
 * Run one call with a time limit. The call gets a signal that aborts at the limit or when
 * `signal` aborts. The result is also raced against the limit, so a call that ignores its
 * signal cannot hold the round. Rejects with DeadlineExceeded(`message`) at the limit.
 */
export async function callWithin<T>(
  clock: Clock,
  limitMs: number,
  signal: AbortSignal | undefined,
  message: string,
  call: (signal: AbortSignal) => Promise<T>
): Promise<T> {
  const controller = new AbortController()
  const forwardAbort = (): void => controller.abort(signal?.reason)
  if (signal?.aborted) forwardAbort()
  else signal?.addEventListener('abort', forwardAbort, { once: true })

  const timer = new AbortController()
  const limit = clock.sleep(limitMs, timer.signal).then(
    () => {
      const error = new DeadlineExceeded(message)
      controller.abort(error)
      throw error
    },
    () => new Promise<never>(() => {})
  )

  try {
    return await Promise.race([call(controller.signal), limit])
  } finally {
    timer.abort()
    signal?.removeEventListener('abort', forwardAbort)
  }
}
