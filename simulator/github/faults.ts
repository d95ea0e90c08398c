/** The REST endpoints the emulator serves, named after their Octokit methods. */
export type EndpointName =
  | 'getRepo'
  | 'getRef'
  | 'createRef'
  | 'updateRef'
  | 'getCommit'
  | 'createCommit'
  | 'listCommits'
  | 'getTree'
  | 'createTree'
  | 'getBlob'
  | 'createBlob'
  | 'getContent'

/** An injected fault and its effect on a matching request. */
export type Fault =
  /** A 5xx response; the request is not applied. */
  | { kind: 'server-error'; status?: 500 | 502 | 503 }
  /** Primary rate limit: 403 with `x-ratelimit-remaining: 0` and a reset `resetSeconds` ahead. */
  | { kind: 'rate-limit'; resetSeconds: number }
  /** Secondary rate limit: 403 or 429 with `retry-after`. */
  | { kind: 'secondary-rate-limit'; status: 403 | 429; retryAfterSeconds: number }
  /** 403 "Resource not accessible by integration": the token lacks `contents: write`. */
  | { kind: 'no-permission' }
  /** Branch protection (422) or a ruleset (409) rejects the ref update. */
  | { kind: 'protected-branch'; rule: 'protection' | 'ruleset' }
  /** 409 "Git Repository is empty." without touching the repository. */
  | { kind: 'empty-repository' }
  /** 404 Not Found. */
  | { kind: 'not-found' }
  /** The request is applied, then the socket is destroyed before any response byte. */
  | { kind: 'drop-response' }
  /** The request waits `delayMs` before it is handled, e.g. to exceed a client timeout. */
  | { kind: 'slow-response'; delayMs: number }
  /**
   * A commit by another writer, made just before the request is handled. On `updateRef` it
   * lands after the request arrived and before the ref moves. It appends `append[path]` to
   * each listed file (default: a line to `competing.log`).
   */
  | { kind: 'competing-commit'; append?: Record<string, string> }

export interface FaultRule {
  endpoint: EndpointName
  fault: Fault
  /** How many matching requests the fault hits; Infinity = every one. Default 1. */
  times?: number
  /** How many matching requests pass untouched before the fault starts. Default 0. */
  skip?: number
}

interface ArmedRule {
  endpoint: EndpointName
  fault: Fault
  remaining: number
  skip: number
}

/** Faults that apply before the handler runs, as opposed to inside a ref update or after it. */
const RESPONSE_FAULTS = new Set<Fault['kind']>([
  'server-error',
  'rate-limit',
  'secondary-rate-limit',
  'no-permission',
  'protected-branch',
  'empty-repository',
  'not-found'
])

/** The armed fault rules of one emulator; each hit consumes one use of the first matching rule. */
export class FaultPlan {
  private rules: ArmedRule[] = []

  add(rule: FaultRule): void {
    const times = rule.times ?? 1
    const skip = rule.skip ?? 0
    if (!(times > 0)) throw new Error(`Fault times must be positive, got ${times}.`)
    if (!Number.isInteger(skip) || skip < 0) throw new Error(`Fault skip must be a non-negative integer, got ${skip}.`)
    this.rules.push({ endpoint: rule.endpoint, fault: rule.fault, remaining: times, skip })
  }

  clear(): void {
    this.rules = []
  }

  /** Number of rules that still have uses left. */
  pending(): number {
    return this.rules.filter((rule) => rule.remaining > 0).length
  }

  /** Takes the next fault that replaces the response of a request to `endpoint`. */
  takeResponseFault(endpoint: EndpointName): Fault | undefined {
    return this.take(endpoint, (fault) => RESPONSE_FAULTS.has(fault.kind))
  }

  /** Takes the next fault of one kind for `endpoint`. */
  takeKind<K extends Fault['kind']>(endpoint: EndpointName, kind: K): Extract<Fault, { kind: K }> | undefined {
    return this.take(endpoint, (fault) => fault.kind === kind) as Extract<Fault, { kind: K }> | undefined
  }

  private take(endpoint: EndpointName, accepts: (fault: Fault) => boolean): Fault | undefined {
    const rule = this.rules.find(
      (candidate) => candidate.endpoint === endpoint && candidate.remaining > 0 && accepts(candidate.fault)
    )
    if (!rule) return undefined
    if (rule.skip > 0) {
      rule.skip -= 1
      return undefined
    }
    rule.remaining -= 1
    return rule.fault
  }
}
