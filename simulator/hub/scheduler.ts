// Timers for the simulated Hub's asynchronous work. Every delay is given in simulated seconds and runs
// for seconds × timeScale × factor of real time, so one knob speeds the whole Hub up for tests.

export class Scheduler {
  private readonly timers = new Map<NodeJS.Timeout, string>()
  private stopped = false

  constructor(
    private readonly timeScale: number,
    private readonly onError: (error: unknown) => void
  ) {}

  /** Converts a simulated delay to real milliseconds. */
  realMs(seconds: number, factor = 1): number {
    return seconds * 1000 * this.timeScale * factor
  }

  /** Runs `task` after a simulated delay. `group` (an analysis id) lets a deletion cancel its pending work. */
  after(seconds: number, factor: number, group: string, task: () => void): void {
    this.afterMs(this.realMs(seconds, factor), group, task)
  }

  /** Runs `task` after `ms` real milliseconds. */
  afterMs(ms: number, group: string, task: () => void): void {
    if (this.stopped) return
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      try {
        task()
      } catch (error) {
        this.onError(error)
      }
    }, Math.max(0, ms))
    this.timers.set(timer, group)
  }

  cancelGroup(group: string): void {
    for (const [timer, timerGroup] of this.timers) {
      if (timerGroup === group) {
        clearTimeout(timer)
        this.timers.delete(timer)
      }
    }
  }

  stop(): void {
    this.stopped = true
    for (const timer of this.timers.keys()) clearTimeout(timer)
    this.timers.clear()
  }
}
