// Limits how many analyses run python at the same time, so a scale test with hundreds of pairs does not
// start hundreds of interpreters at once. The unit is the analysis, not the process: the nodes of an
// admitted analysis always start, because an aggregator waits for its own analyzers and would otherwise
// hold a slot that its analyzers queue behind.

interface Waiting {
  analysisId: string
  start: () => void
  cancel: () => void
}

export class AnalysisAdmission {
  private readonly activeRuns = new Map<string, number>()
  private waiting: Waiting[] = []

  constructor(private readonly maxAnalyses: number) {}

  /** Number of analyses that are waiting for a slot. */
  get queued(): number {
    return new Set(this.waiting.map((entry) => entry.analysisId)).size
  }

  /** Runs `start` once the analysis has a slot. When the analysis is discarded first, `cancel` runs instead. */
  enter(analysisId: string, start: () => void, cancel: () => void): void {
    if (this.activeRuns.has(analysisId) || this.activeRuns.size < this.maxAnalyses) {
      this.begin(analysisId, start)
      return
    }
    this.waiting.push({ analysisId, start, cancel })
  }

  /** Marks one run of the analysis as ended and frees its slot after the last run. */
  leave(analysisId: string): void {
    const remaining = (this.activeRuns.get(analysisId) ?? 1) - 1
    if (remaining > 0) {
      this.activeRuns.set(analysisId, remaining)
      return
    }
    this.activeRuns.delete(analysisId)
    this.admitWaiting()
  }

  /** Drops the waiting runs of an analysis, calling their `cancel`. */
  discard(analysisId: string): void {
    const dropped = this.waiting.filter((entry) => entry.analysisId === analysisId)
    this.waiting = this.waiting.filter((entry) => entry.analysisId !== analysisId)
    for (const entry of dropped) entry.cancel()
  }

  private begin(analysisId: string, start: () => void): void {
    this.activeRuns.set(analysisId, (this.activeRuns.get(analysisId) ?? 0) + 1)
    start()
  }

  private admitWaiting(): void {
    while (this.waiting.length > 0 && this.activeRuns.size < this.maxAnalyses) {
      const next = this.waiting[0]?.analysisId ?? ''
      // Every waiting run of the admitted analysis starts together.
      const runs = this.waiting.filter((entry) => entry.analysisId === next)
      this.waiting = this.waiting.filter((entry) => entry.analysisId !== next)
      for (const entry of runs) this.begin(entry.analysisId, entry.start)
    }
  }
}
