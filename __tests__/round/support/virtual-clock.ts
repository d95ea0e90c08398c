// A discrete-event clock for unit tests: sleeps resolve in time order, one per macrotask,
// and `now()` jumps to the wake-up time. Waits of minutes finish in milliseconds, as long
// as everything else the code awaits settles within a microtask (the fake Hub does).

import type { Clock } from '../../../src/clock.js'

interface Timer {
  at: number
  seq: number
  resolve: () => void
  cancel: () => void
}

export class VirtualClock implements Clock {
  private time: number
  private seq = 0
  private timers: Timer[] = []
  private drainScheduled = false
  /** Number of sleeps started, to check that waits poll and back off. */
  sleeps: number[] = []

  constructor(start = Date.UTC(2026, 11, 4, 12, 0)) {
    this.time = start
  }

  now(): number {
    return this.time
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms)
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason)
        return
      }
      const onAbort = (): void => {
        this.timers = this.timers.filter((candidate) => candidate !== timer)
        reject(signal?.reason)
      }
      const timer: Timer = {
        at: this.time + Math.max(0, ms),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
        cancel: onAbort
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.timers.push(timer)
      this.scheduleDrain()
    })
  }

  /** Advance to a time without a sleeper, for setting up ages. */
  advance(ms: number): void {
    this.time += ms
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return
    this.drainScheduled = true
    setImmediate(() => {
      this.drainScheduled = false
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq)
      const timer = this.timers.shift()
      if (timer === undefined) return
      this.time = Math.max(this.time, timer.at)
      timer.resolve()
      if (this.timers.length > 0) this.scheduleDrain()
    })
  }
}
