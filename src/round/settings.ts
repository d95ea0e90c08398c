// The part of the action's settings that the round reads. The action shell builds and
// validates the full Settings (which extends this) from the inputs; the round trusts it.

export type PollingMode = 'adaptive' | 'fixed'
export type KeepAnalyses = 'on-failure' | 'always' | 'never'
export type PrecheckMode = 'auto' | 'online' | 'off'

/** Time budgets of the round's waits, in seconds. */
export interface RoundBudgets {
  /** Password grant plus listing all nodes. */
  login: number
  /** Each bucket wait: the CODE bucket, then the script's bucket-file record. */
  bucket: number
  /** From buildStart until the build is executed. */
  build: number
  /** From distributionStart until the distribution is executed. */
  distribution: number
  /** Until both analysis-nodes of the pair are executed. */
  execution: number
  /** Finding the RESULT bucket and downloading it. */
  results: number
}

export interface RoundSettings {
  /** Configured node names, aggregator included, in configuration order. */
  nodes: string[]
  /** Name of the Hub project the analyses run in. */
  project: string
  /** Virtual path of the master image (e.g. `python/base`); null selects the Hub's first image. */
  masterImage: string | null
  /** The analysis script uploaded as the entrypoint. */
  script: { fileName: string; content: Uint8Array }
  budgets: RoundBudgets
  /** Maximum seconds from a pair's start to its verified result before latency fails. */
  latencyLimit: number
  /** Maximum seconds between two polls of one wait (adaptive) or the phase poll interval (fixed). */
  pollInterval: number
  /**
   * `adaptive` polls fast at first and backs off to pollInterval. `fixed` repeats the Python
   * predecessor: 1 s bucket polls, pollInterval phase polls and a 2 s pause after the upload.
   * Below a 3 s pollInterval, the first adaptive gap and both fixed constants shrink in proportion.
   */
  polling: PollingMode
  /** Maximum pairs that run at the same time; 0 runs all pairs at once. */
  maxParallel: number
  /** Seconds after which an analysis of the project counts as stale and is deleted during setup. */
  staleAfter: number
  keepAnalyses: KeepAnalyses
  precheck: PrecheckMode
  /** Maximum size of the downloaded RESULT bucket tar in bytes (default 10 MiB). */
  resultMaxBytes?: number
}

export const DEFAULT_RESULT_MAX_BYTES = 10 * 1024 * 1024
