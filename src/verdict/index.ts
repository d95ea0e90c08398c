export { overallStatus, PAIR_STEP_KEYS, STEP_KEYS } from './overall.js'
export type { KeyStatuses, OverallStatus, PairStepKey, StepKey } from './overall.js'
export { downNodes, mergeRound, pairPassed } from './merge.js'
export type { NodeRole, NodeVerdict, RoundVerdicts, StepVerdict } from './merge.js'
