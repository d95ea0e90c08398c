// Fault knobs and named scenarios of the Hub simulator. One registry serves the CLI help, the CLI parser,
// the tests and the fault matrix, so a scenario name means the same everywhere.

export type ApprovalSetting = 'approved' | 'pending' | 'rejected'

/** Knobs that apply to one node, keyed by node name (for example `default-2`). */
export interface NodeFaults {
  /** The node never autostarts, so its analysis-node execution status stays null. */
  down?: boolean
  /** The node's python run raises before user code, so its execution status ends `failed`. */
  executionFails?: boolean
  /** The node has no registry, so distribution of an analysis that includes it is rejected. */
  noRegistry?: boolean
  /** Value of the node's `online` flag (the real Hub always reports false). */
  online?: boolean
  /** Approval given when the node is added to a project (aggregators are always approved). */
  projectApproval?: ApprovalSetting
  /** Approval given when the node is added to an analysis (aggregators are always approved). */
  analysisApproval?: ApprovalSetting
  /** Multiplies this node's autostart and execution delays. */
  slowFactor?: number
}

/** Every N-th group of requests starts with a burst of failures: `burst` failures out of each `every`. */
export interface BurstSpec {
  burst: number
  every: number
}

/** A precondition of `configurationLock` that the Hub finds unmet, named after its error message. */
export type LockPrecondition = 'default-node' | 'aggregator-node' | 'entrypoint' | 'master-image'

/**
 * A RESULT tar that a health check must reject: a `../` path, a symbolic link, an entry whose
 * header declares 1 GiB while the archive holds a few bytes, or a result file that is not JSON.
 */
export type ResultTarFault = 'path-traversal' | 'symlink' | 'huge-entry' | 'not-json'

/**
 * Fault knobs, merged over a scenario. Global knobs apply to every analysis, and `nodes` contains the per-node knobs.
 * Delays named in seconds are simulated seconds (multiplied by the time scale).
 */
export interface FaultSpec {
  nodes?: Record<string, NodeFaults>
  /** Multiplies every phase delay (buckets, mirroring, build, distribution, autostart, execution). */
  slowFactor?: number
  /** The image build ends `failed` at 60 % progress. */
  buildFails?: boolean
  /** The image build stays `started` at 40 % progress forever. */
  buildStalls?: boolean
  /** The distribution ends `failed` at 60 % progress. */
  distributionFails?: boolean
  /** The distribution stays `started` at 40 % progress forever. */
  distributionStalls?: boolean
  /** The first N `GET /analyses/:id` requests for each analysis return 404. */
  analysisNotFound?: number
  /** Core and storage GET requests (not the version probe) return 5xx in bursts. */
  serverErrors?: BurstSpec & { status?: number }
  /** Core and storage GET requests return 429 with Retry-After in bursts. */
  rateLimited?: BurstSpec & { retryAfterSeconds?: number }
  /** Access tokens stop working this many simulated seconds after issue, even when `expires_in` promised longer. */
  tokenRevokedAfterSeconds?: number
  /** Core and storage GET requests (not the version probe) lose their connection without a response, in bursts. */
  connectionResets?: BurstSpec
  /** Delay, in simulated seconds, before the password grant responds. */
  loginDelaySeconds?: number
  /** The password grant returns 429 `login_attempt_throttled`. */
  loginThrottled?: boolean
  /** The password grant returns 400 `invalid_credentials` even for the right password. */
  badCredentials?: boolean
  /** `unavailable`: every /auth request returns 503. `refused`: the connection is closed without a response. */
  authDown?: 'unavailable' | 'refused'
  /** The result stream sends the headers and the first 512 bytes, then stalls until the client gives up. */
  streamStalls?: boolean
  /** The result stream is a tar with a broken header checksum, cut short. */
  corruptTar?: boolean
  /** The result stream is gzip-compressed (still labelled application/x-tar). */
  gzipResult?: boolean
  /** The aggregator's result file is dropped, so the RESULT bucket stays empty. */
  emptyResult?: boolean
  /** The RESULT bucket streams this malformed or hostile tar instead of its files. */
  resultTar?: ResultTarFault
  /** The result JSON contains `overall_success: false`. */
  payloadOverallFalse?: boolean
  /** The result JSON lacks every default (compute) node in `node_results`. */
  payloadMissingNode?: boolean
  /** Status that `POST /projects` returns (403 `permission_denied` in the scenario). */
  projectCreateStatus?: number
  /** The Hub has no master images. */
  noMasterImage?: boolean
  /** These analysis bucket types are never created, even after `storageCheck`. */
  bucketNever?: Array<'CODE' | 'RESULT' | 'TEMP'>
  /** `configurationLock` is rejected with the Hub's message for this unmet precondition. */
  lockRejected?: LockPrecondition
  /** Status that uploads to storage return (507 `storage_insufficient` in the scenario). */
  uploadRejectedStatus?: number
  /** Uploaded files are never mirrored as analysis-bucket-files. */
  mirrorNever?: boolean
}

export interface Scenario {
  description: string
  faults: FaultSpec
  /** Token lifetime in seconds that the scenario sets (overrides the option). */
  tokenLifetimeSeconds?: number
}

/** The named scenarios. `default-2` is the node the per-node scenarios break, so `default-1` stays healthy. */
export const scenarios: Record<string, Scenario> = {
  healthy: { description: 'every phase succeeds on every node', faults: {} },
  'node-down': { description: 'default-2 never starts its analysis', faults: { nodes: { 'default-2': { down: true } } } },
  'build-fails': { description: 'every image build ends failed', faults: { buildFails: true } },
  'build-stalls': { description: 'every image build stops progressing at 40 %', faults: { buildStalls: true } },
  'distribution-fails': { description: 'every distribution ends failed', faults: { distributionFails: true } },
  'distribution-stalls': {
    description: 'every distribution stops progressing at 40 %',
    faults: { distributionStalls: true }
  },
  'execution-fails': {
    description: 'the analysis script fails on default-2',
    faults: { nodes: { 'default-2': { executionFails: true } } }
  },
  'aggregator-fails': {
    description: 'the analysis script fails on aggregator-1',
    faults: { nodes: { 'aggregator-1': { executionFails: true } } }
  },
  slow: { description: 'every phase takes three times as long', faults: { slowFactor: 3 } },
  'transient-404': {
    description: 'the first 3 GETs of each analysis return 404',
    faults: { analysisNotFound: 3 }
  },
  'server-errors': {
    description: '2 of every 10 core/storage GETs return 502',
    faults: { serverErrors: { burst: 2, every: 10, status: 502 } }
  },
  'rate-limit': {
    description: '2 of every 10 core/storage GETs return 429 with Retry-After: 1',
    faults: { rateLimited: { burst: 2, every: 10, retryAfterSeconds: 1 } }
  },
  'token-expiry': {
    description: 'access tokens stop working 30 simulated seconds after issue while expires_in is 900',
    faults: { tokenRevokedAfterSeconds: 30 }
  },
  'connection-reset': {
    description: '2 of every 10 core/storage GETs lose their connection without a response',
    faults: { connectionResets: { burst: 2, every: 10 } }
  },
  'slow-login': { description: 'the password grant responds after 30 simulated seconds', faults: { loginDelaySeconds: 30 } },
  'lock-rejected': {
    description: 'configurationLock is rejected because the Hub finds no entrypoint',
    faults: { lockRejected: 'entrypoint' }
  },
  'stalled-stream': { description: 'the result download stalls after 512 bytes', faults: { streamStalls: true } },
  'corrupt-tar': { description: 'the result download is a damaged tar', faults: { corruptTar: true } },
  'gzip-result': { description: 'the result download is a gzip-compressed tar', faults: { gzipResult: true } },
  'empty-result': { description: 'the RESULT bucket stays empty', faults: { emptyResult: true } },
  'tar-traversal': { description: 'the result tar contains a ../ path', faults: { resultTar: 'path-traversal' } },
  'tar-symlink': { description: 'the result tar contains a symbolic link', faults: { resultTar: 'symlink' } },
  'tar-huge-entry': {
    description: 'the result tar declares a 1 GiB entry but holds a few bytes',
    faults: { resultTar: 'huge-entry' }
  },
  'result-not-json': { description: 'the result file is not JSON', faults: { resultTar: 'not-json' } },
  'overall-false': { description: 'the result payload contains overall_success false', faults: { payloadOverallFalse: true } },
  'missing-node': {
    description: 'the result payload lacks the default (compute) nodes',
    faults: { payloadMissingNode: true }
  },
  'no-registry': {
    description: 'default-2 has no registry, so distributing to it is rejected',
    faults: { nodes: { 'default-2': { noRegistry: true } } }
  },
  'online-flag': {
    description: 'nodes report online true, except default-2',
    faults: {
      nodes: { 'aggregator-1': { online: true }, 'default-1': { online: true }, 'default-2': { online: false } }
    }
  },
  'setup-fails': { description: 'creating a project returns 403', faults: { projectCreateStatus: 403 } },
  'no-master-image': { description: 'the Hub has no master image', faults: { noMasterImage: true } },
  'bucket-never': { description: 'the CODE bucket of an analysis never appears', faults: { bucketNever: ['CODE'] } },
  'upload-rejected': { description: 'uploads to storage return 507', faults: { uploadRejectedStatus: 507 } },
  'mirror-never': { description: 'uploaded files never appear as analysis-bucket-files', faults: { mirrorNever: true } },
  'bad-credentials': { description: 'the password grant rejects every password', faults: { badCredentials: true } },
  'auth-down': { description: 'the auth service returns 503', faults: { authDown: 'unavailable' } },
  'login-throttled': { description: 'the password grant returns 429 login_attempt_throttled', faults: { loginThrottled: true } }
}

export function scenarioNames(): string[] {
  return Object.keys(scenarios)
}

export function getScenario(name: string): Scenario {
  const scenario = scenarios[name]
  if (scenario === undefined) {
    throw new Error(`Unknown scenario "${name}". Use one of: ${scenarioNames().join(', ')}.`)
  }
  return scenario
}

/** Merges `overlay` over `base`: global knobs replace, per-node knobs merge per node. */
export function mergeFaults(base: FaultSpec, overlay: FaultSpec): FaultSpec {
  const nodes: Record<string, NodeFaults> = {}
  for (const source of [base.nodes ?? {}, overlay.nodes ?? {}]) {
    for (const [name, knobs] of Object.entries(source)) {
      nodes[name] = { ...nodes[name], ...knobs }
    }
  }
  return { ...base, ...overlay, nodes }
}

const LOCK_PRECONDITIONS: readonly LockPrecondition[] = ['default-node', 'aggregator-node', 'entrypoint', 'master-image']
const RESULT_TAR_FAULTS: readonly ResultTarFault[] = ['path-traversal', 'symlink', 'huge-entry', 'not-json']

/** One knob of the compact `--fault` syntax: its help text and how it sets the spec. */
interface CompactKnob {
  usage: string
  help: string
  apply(spec: FaultSpec, value: string | undefined, node: string | undefined): void
}

function parseCount(knob: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const count = Number(value)
  if (!Number.isInteger(count) || count < 0) {
    throw new Error(`Invalid value "${value}" for fault "${knob}": expected a whole number such as ${fallback}.`)
  }
  return count
}

function parsePositive(knob: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const number = Number(value)
  if (!Number.isFinite(number) || number <= 0) {
    throw new Error(`Invalid value "${value}" for fault "${knob}": expected a positive number such as ${fallback}.`)
  }
  return number
}

function parseBurst(knob: string, value: string | undefined): BurstSpec {
  if (value === undefined) return { burst: 2, every: 10 }
  const match = /^(\d+)(?:\/(\d+))?$/.exec(value)
  if (match === null) {
    throw new Error(`Invalid value "${value}" for fault "${knob}": expected BURST or BURST/EVERY such as 2/10.`)
  }
  const burst = Number(match[1])
  const every = match[2] === undefined ? Number.MAX_SAFE_INTEGER : Number(match[2])
  if (burst < 1 || every < burst) {
    throw new Error(`Invalid value "${value}" for fault "${knob}": BURST must be at least 1 and at most EVERY.`)
  }
  return { burst, every }
}

function requireNode(knob: string, node: string | undefined): string {
  if (node === undefined) {
    throw new Error(`Fault "${knob}" applies to one node: write it as NODE:${knob}, for example default-2:${knob}.`)
  }
  return node
}

function setNode(spec: FaultSpec, node: string, knobs: NodeFaults): void {
  spec.nodes = spec.nodes ?? {}
  spec.nodes[node] = { ...spec.nodes[node], ...knobs }
}

function parseApproval(knob: string, value: string | undefined): ApprovalSetting {
  if (value === 'approved' || value === 'pending' || value === 'rejected') return value
  throw new Error(`Invalid value "${value ?? ''}" for fault "${knob}": expected approved, pending or rejected.`)
}

const globalKnobs: Record<string, CompactKnob> = {
  slow: {
    usage: 'slow[:FACTOR]',
    help: 'multiply every phase delay (default 3)',
    apply: (spec, value) => (spec.slowFactor = parsePositive('slow', value, 3))
  },
  'build-fails': { usage: 'build-fails', help: 'image builds end failed', apply: (spec) => (spec.buildFails = true) },
  'build-stalls': { usage: 'build-stalls', help: 'image builds stop at 40 %', apply: (spec) => (spec.buildStalls = true) },
  'distribution-fails': {
    usage: 'distribution-fails',
    help: 'distributions end failed',
    apply: (spec) => (spec.distributionFails = true)
  },
  'distribution-stalls': {
    usage: 'distribution-stalls',
    help: 'distributions stop at 40 %',
    apply: (spec) => (spec.distributionStalls = true)
  },
  'analysis-404': {
    usage: 'analysis-404[:N]',
    help: 'the first N GETs of each analysis return 404 (default 3)',
    apply: (spec, value) => (spec.analysisNotFound = parseCount('analysis-404', value, 3))
  },
  'server-errors': {
    usage: 'server-errors[:BURST/EVERY]',
    help: 'BURST of every EVERY core/storage GETs return 502 (default 2/10)',
    apply: (spec, value) => (spec.serverErrors = { ...parseBurst('server-errors', value), status: 502 })
  },
  'rate-limit': {
    usage: 'rate-limit[:BURST/EVERY]',
    help: 'BURST of every EVERY core/storage GETs return 429 with Retry-After: 1 (default 2/10)',
    apply: (spec, value) => (spec.rateLimited = { ...parseBurst('rate-limit', value), retryAfterSeconds: 1 })
  },
  'token-expiry': {
    usage: 'token-expiry[:SECONDS]',
    help: 'access tokens stop working SECONDS simulated seconds after issue (default 30)',
    apply: (spec, value) => (spec.tokenRevokedAfterSeconds = parsePositive('token-expiry', value, 30))
  },
  'login-throttled': {
    usage: 'login-throttled',
    help: 'the password grant returns 429',
    apply: (spec) => (spec.loginThrottled = true)
  },
  'bad-credentials': {
    usage: 'bad-credentials',
    help: 'the password grant rejects every password',
    apply: (spec) => (spec.badCredentials = true)
  },
  'auth-down': {
    usage: 'auth-down[:unavailable|refused]',
    help: 'auth returns 503, or drops the connection',
    apply: (spec, value) => {
      if (value !== undefined && value !== 'unavailable' && value !== 'refused') {
        throw new Error(`Invalid value "${value}" for fault "auth-down": expected unavailable or refused.`)
      }
      spec.authDown = value ?? 'unavailable'
    }
  },
  'connection-reset': {
    usage: 'connection-reset[:BURST/EVERY]',
    help: 'BURST of every EVERY core/storage GETs lose their connection (default 2/10)',
    apply: (spec, value) => (spec.connectionResets = parseBurst('connection-reset', value))
  },
  'slow-login': {
    usage: 'slow-login[:SECONDS]',
    help: 'the password grant responds after SECONDS simulated seconds (default 30)',
    apply: (spec, value) => (spec.loginDelaySeconds = parsePositive('slow-login', value, 30))
  },
  'lock-rejected': {
    usage: 'lock-rejected[:default-node|aggregator-node|entrypoint|master-image]',
    help: 'configurationLock is rejected for that precondition (default entrypoint)',
    apply: (spec, value) => {
      const precondition = value ?? 'entrypoint'
      if (!LOCK_PRECONDITIONS.includes(precondition as LockPrecondition)) {
        throw new Error(`Invalid value "${precondition}" for fault "lock-rejected": expected ${LOCK_PRECONDITIONS.join(', ')}.`)
      }
      spec.lockRejected = precondition as LockPrecondition
    }
  },
  'result-tar': {
    usage: 'result-tar:path-traversal|symlink|huge-entry|not-json',
    help: 'the RESULT bucket streams that malformed or hostile tar',
    apply: (spec, value) => {
      if (!RESULT_TAR_FAULTS.includes(value as ResultTarFault)) {
        throw new Error(`Invalid value "${value ?? ''}" for fault "result-tar": expected ${RESULT_TAR_FAULTS.join(', ')}.`)
      }
      spec.resultTar = value as ResultTarFault
    }
  },
  'stalled-stream': {
    usage: 'stalled-stream',
    help: 'the result download stalls after 512 bytes',
    apply: (spec) => (spec.streamStalls = true)
  },
  'corrupt-tar': { usage: 'corrupt-tar', help: 'the result download is a damaged tar', apply: (spec) => (spec.corruptTar = true) },
  'gzip-result': { usage: 'gzip-result', help: 'the result download is gzip-compressed', apply: (spec) => (spec.gzipResult = true) },
  'empty-result': { usage: 'empty-result', help: 'the RESULT bucket stays empty', apply: (spec) => (spec.emptyResult = true) },
  'overall-false': {
    usage: 'overall-false',
    help: 'the result payload contains overall_success false',
    apply: (spec) => (spec.payloadOverallFalse = true)
  },
  'missing-node': {
    usage: 'missing-node',
    help: 'the result payload lacks the default nodes',
    apply: (spec) => (spec.payloadMissingNode = true)
  },
  'setup-fails': {
    usage: 'setup-fails[:STATUS]',
    help: 'POST /projects returns STATUS (default 403)',
    apply: (spec, value) => (spec.projectCreateStatus = parseCount('setup-fails', value, 403))
  },
  'no-master-image': {
    usage: 'no-master-image',
    help: 'the Hub has no master image',
    apply: (spec) => (spec.noMasterImage = true)
  },
  'bucket-never': {
    usage: 'bucket-never[:CODE|RESULT|TEMP]',
    help: 'that analysis bucket never appears (default CODE)',
    apply: (spec, value) => {
      const type = value ?? 'CODE'
      if (type !== 'CODE' && type !== 'RESULT' && type !== 'TEMP') {
        throw new Error(`Invalid value "${type}" for fault "bucket-never": expected CODE, RESULT or TEMP.`)
      }
      spec.bucketNever = [...(spec.bucketNever ?? []), type]
    }
  },
  'upload-rejected': {
    usage: 'upload-rejected[:STATUS]',
    help: 'uploads return STATUS (default 507)',
    apply: (spec, value) => (spec.uploadRejectedStatus = parseCount('upload-rejected', value, 507))
  },
  'mirror-never': {
    usage: 'mirror-never',
    help: 'uploaded files never appear as analysis-bucket-files',
    apply: (spec) => (spec.mirrorNever = true)
  }
}

const nodeKnobs: Record<string, CompactKnob> = {
  down: {
    usage: 'NODE:down',
    help: 'the node never starts its analysis',
    apply: (spec, _value, node) => setNode(spec, requireNode('down', node), { down: true })
  },
  'execution-fails': {
    usage: 'NODE:execution-fails',
    help: "the node's python run fails",
    apply: (spec, _value, node) => setNode(spec, requireNode('execution-fails', node), { executionFails: true })
  },
  'no-registry': {
    usage: 'NODE:no-registry',
    help: 'the node has no registry',
    apply: (spec, _value, node) => setNode(spec, requireNode('no-registry', node), { noRegistry: true })
  },
  online: {
    usage: 'NODE:online[:true|false]',
    help: "set the node's online flag (default true)",
    apply: (spec, value, node) => {
      if (value !== undefined && value !== 'true' && value !== 'false') {
        throw new Error(`Invalid value "${value}" for fault "online": expected true or false.`)
      }
      setNode(spec, requireNode('online', node), { online: value !== 'false' })
    }
  },
  'project-approval': {
    usage: 'NODE:project-approval:approved|pending|rejected',
    help: 'approval the node gives to projects',
    apply: (spec, value, node) =>
      setNode(spec, requireNode('project-approval', node), { projectApproval: parseApproval('project-approval', value) })
  },
  'analysis-approval': {
    usage: 'NODE:analysis-approval:approved|pending|rejected',
    help: 'approval the node gives to analyses',
    apply: (spec, value, node) =>
      setNode(spec, requireNode('analysis-approval', node), { analysisApproval: parseApproval('analysis-approval', value) })
  },
  'slow-node': {
    usage: 'NODE:slow-node[:FACTOR]',
    help: "multiply the node's autostart and execution delays (default 3)",
    apply: (spec, value, node) =>
      setNode(spec, requireNode('slow-node', node), { slowFactor: parsePositive('slow-node', value, 3) })
  }
}

/** Usage lines of the compact fault syntax, for `--help`. */
export function faultUsage(): string[] {
  return [...Object.values(globalKnobs), ...Object.values(nodeKnobs)].map((knob) => `${knob.usage.padEnd(48)} ${knob.help}`)
}

/**
 * Parses one compact fault such as `default-2:down`, `analysis-404:3` or `server-errors:2/10` into `spec`.
 * A first part that is not a global knob is taken as a node name.
 */
export function parseFault(text: string, spec: FaultSpec = {}): FaultSpec {
  const parts = text.split(':')
  const first = parts[0] ?? ''

  const globalKnob = globalKnobs[first]
  if (globalKnob !== undefined) {
    if (parts.length > 2) throw new Error(`Invalid fault "${text}": "${first}" takes at most one value.`)
    globalKnob.apply(spec, parts[1], undefined)
    return spec
  }

  const knobName = parts[1]
  const nodeKnob = knobName === undefined ? undefined : nodeKnobs[knobName]
  if (first === '' || nodeKnob === undefined || parts.length > 3) {
    const known = [...Object.keys(globalKnobs), ...Object.keys(nodeKnobs).map((name) => `NODE:${name}`)]
    throw new Error(`Invalid fault "${text}". Use one of: ${known.join(', ')}.`)
  }
  nodeKnob.apply(spec, parts[2], first)
  return spec
}
