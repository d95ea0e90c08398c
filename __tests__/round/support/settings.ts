import type { RoundSettings } from '../../../src/round/settings.js'

/** Round settings with the action's defaults, for tests. */
export function roundSettings(overrides: Partial<RoundSettings> = {}): RoundSettings {
  return {
    nodes: ['aggregator-1', 'default-1', 'default-2'],
    project: 'health-check',
    masterImage: 'python/base',
    script: { fileName: '00_test_connection.py', content: new TextEncoder().encode('print("ok")\n') },
    budgets: { login: 10, bucket: 60, build: 120, distribution: 120, execution: 240, results: 60 },
    latencyLimit: 600,
    pollInterval: 3,
    polling: 'adaptive',
    maxParallel: 0,
    staleAfter: 3600,
    keepAnalyses: 'on-failure',
    precheck: 'auto',
    ...overrides
  }
}
