import { describe, expect, it } from '@jest/globals'

import { HubError } from '../../src/hub/errors.js'
import { DeadlineExceeded, StepFailure } from '../../src/round/failure.js'
import { ADAPTIVE_FIRST_DELAY_MS, callWithin, pollDelays, pollUntil } from '../../src/round/poll.js'
import { VirtualClock } from './support/virtual-clock.js'

function take(delays: Generator<number>, count: number): number[] {
  return Array.from({ length: count }, () => delays.next().value as number)
}

describe('pollDelays', () => {
  it('adaptive starts fast and backs off to the interval', () => {
    const delays = take(pollDelays('adaptive', 3000), 12)
    expect(delays[0]).toBe(ADAPTIVE_FIRST_DELAY_MS)
    expect(delays[0]).toBeLessThanOrEqual(250)
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]!)
    expect(delays[delays.length - 1]).toBe(3000)
    expect(Math.max(...delays)).toBe(3000)
  })

  it('adaptive never exceeds a small interval', () => {
    expect(Math.max(...take(pollDelays('adaptive', 50), 12))).toBe(50)
  })

  it('adaptive scales its start below 3 s', () => {
    expect(take(pollDelays('adaptive', 300), 8)).toEqual([20, 32, 51, 82, 131, 210, 300, 300])
    expect(take(pollDelays('adaptive', 6000), 1)).toEqual([ADAPTIVE_FIRST_DELAY_MS])
  })

  it('fixed repeats the interval', () => {
    expect(take(pollDelays('fixed', 1000), 4)).toEqual([1000, 1000, 1000, 1000])
  })
})

describe('pollUntil', () => {
  it('returns the first value and counts polls', async () => {
    const clock = new VirtualClock()
    let calls = 0
    let counted = 0
    const result = await pollUntil(async () => (++calls === 4 ? 'ready' : undefined), {
      clock,
      deadline: clock.now() + 60_000,
      mode: 'adaptive',
      intervalMs: 3000,
      onPoll: () => counted++
    })
    expect(result).toEqual({ done: true, value: 'ready', polls: 4 })
    expect(counted).toBe(4)
  })

  it('notices a finished phase within the first second', async () => {
    const clock = new VirtualClock()
    const start = clock.now()
    const readyAt = start + 700
    await pollUntil(async () => (clock.now() >= readyAt ? true : undefined), {
      clock,
      deadline: start + 60_000,
      mode: 'adaptive',
      intervalMs: 3000
    })
    expect(clock.now() - start).toBeLessThan(1200)
  })

  it('times out at the deadline with a final poll', async () => {
    const clock = new VirtualClock()
    const start = clock.now()
    const polledAt: number[] = []
    const result = await pollUntil(
      async () => {
        polledAt.push(clock.now() - start)
        return undefined
      },
      { clock, deadline: start + 10_000, mode: 'fixed', intervalMs: 3000 }
    )
    expect(result.done).toBe(false)
    expect(polledAt).toEqual([0, 3000, 6000, 9000, 10_000])
  })

  it('tolerates Hub errors until the deadline', async () => {
    const clock = new VirtualClock()
    const error = new HubError('http', 'GET /analyses/a failed with 503', { status: 503 })
    let calls = 0
    const tolerated: HubError[] = []
    const result = await pollUntil(
      async () => {
        calls += 1
        if (calls < 3) throw error
        return 'ok'
      },
      { clock, deadline: clock.now() + 10_000, mode: 'adaptive', intervalMs: 1000, onTransientError: (e) => tolerated.push(e) }
    )
    expect(result.done).toBe(true)
    expect(tolerated).toHaveLength(2)
  })

  it('reports the last Hub error on timeout', async () => {
    const clock = new VirtualClock()
    const error = new HubError('network', 'GET /analyses/a failed: connection refused')
    const result = await pollUntil(
      async () => {
        throw error
      },
      { clock, deadline: clock.now() + 2000, mode: 'adaptive', intervalMs: 500 }
    )
    expect(result).toMatchObject({ done: false, lastError: error })
  })

  it('ends at once on a StepFailure', async () => {
    const clock = new VirtualClock()
    let calls = 0
    const wait = pollUntil(
      async () => {
        calls += 1
        throw new StepFailure('build failed')
      },
      { clock, deadline: clock.now() + 60_000, mode: 'adaptive', intervalMs: 1000 }
    )
    await expect(wait).rejects.toThrow('build failed')
    expect(calls).toBe(1)
  })

  it('rejects with the abort reason', async () => {
    const clock = new VirtualClock()
    const controller = new AbortController()
    let calls = 0
    const wait = pollUntil(
      async () => {
        if (++calls === 3) controller.abort(new Error('cancelled by SIGINT'))
        return undefined
      },
      { clock, signal: controller.signal, deadline: clock.now() + 60_000, mode: 'adaptive', intervalMs: 1000 }
    )
    await expect(wait).rejects.toThrow('cancelled by SIGINT')
    expect(calls).toBe(3)
  })
})

describe('callWithin', () => {
  it('returns the call result within the limit', async () => {
    const clock = new VirtualClock()
    await expect(callWithin(clock, 1000, undefined, 'slow', async () => 42)).resolves.toBe(42)
  })

  it('rejects a call that ignores its signal at the limit', async () => {
    const clock = new VirtualClock()
    const start = clock.now()
    const call = callWithin(clock, 5000, undefined, 'delete timed out after 5 s', () => new Promise<never>(() => {}))
    await expect(call).rejects.toBeInstanceOf(DeadlineExceeded)
    expect(clock.now() - start).toBe(5000)
  })

  it('aborts the call signal at the limit', async () => {
    const clock = new VirtualClock()
    let seen: AbortSignal | undefined
    const call = callWithin(clock, 1000, undefined, 'too slow', (signal) => {
      seen = signal
      return clock.sleep(10_000, signal)
    })
    await expect(call).rejects.toThrow('too slow')
    expect(seen?.aborted).toBe(true)
  })

  it('forwards the outer abort to the call', async () => {
    const clock = new VirtualClock()
    const controller = new AbortController()
    const call = callWithin(clock, 60_000, controller.signal, 'too slow', (signal) => clock.sleep(10_000, signal))
    controller.abort(new Error('cancelled'))
    await expect(call).rejects.toThrow('cancelled')
  })
})
