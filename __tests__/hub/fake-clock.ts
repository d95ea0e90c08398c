// A Clock whose sleeps return at once and move its time forward, so retry gaps and backoff
// cost no real time while their lengths stay observable.

import type { Clock } from '../../src/clock.js'

export class FakeClock implements Clock {
  readonly sleeps: number[] = []

  constructor(private current = Date.now()) {}

  now(): number {
    return this.current
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) {
      throw signal.reason
    }
    this.sleeps.push(ms)
    this.current += Math.max(0, ms)
  }

  advance(ms: number): void {
    this.current += ms
  }
}
