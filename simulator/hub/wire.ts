// The two wire formats of the Hub. E3 (Hub 0.8.27 to 0.12.x): snake_case keys, bare single records.
// E4 (Hub 0.13.0 and later): camelCase keys, every single record wrapped as {data, meta}, lists with
// meta.schema. Lists are {data, meta: {total, limit, offset}} in both, capped at 50 rows.

export type WireEra = 'e3' | 'e4'

export const MAX_PAGE_LIMIT = 50

/** An error that core or storage sends as `{statusCode, code, message, issues}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: Array<Record<string, unknown>> = []
  ) {
    super(message)
  }
}

export function notFound(entity: string): ApiError {
  return new ApiError(404, 'entity_not_found', `The ${entity} was not found.`)
}

/** Creates an analysis-flow error. Its code is derived, not explicit, so clients branch on the message. */
export function analysisError(message: string): ApiError {
  return new ApiError(400, 'ANALYSIS_ERROR', message)
}

export function errorBody(error: ApiError): Record<string, unknown> {
  return { statusCode: error.status, code: error.code, message: error.message, issues: error.issues }
}

export function toSnake(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)
}

export function toCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase())
}

/** Converts a canonical key to the era's case. */
export function wireKey(key: string, era: WireEra): string {
  return era === 'e3' ? toSnake(key) : key
}

/** Converts every object key of a canonical (camelCase) value to the era's case. */
export function toWire(value: unknown, era: WireEra): unknown {
  if (era === 'e4') return value
  if (Array.isArray(value)) return value.map((item) => toWire(item, era))
  if (value !== null && typeof value === 'object') {
    const converted: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) converted[toSnake(key)] = toWire(item, era)
    return converted
  }
  return value
}

/** Keys a list endpoint accepts, in canonical (camelCase) names. */
export interface ListSchema {
  filters: string[]
  includes: string[]
  sorts: string[]
  defaultSort: Array<{ field: string; descending: boolean }>
}

type FilterTest = (value: unknown) => boolean

export interface ListQuery {
  filters: Array<{ field: string; test: FilterTest }>
  includes: string[]
  sort: Array<{ field: string; descending: boolean }>
  limit: number
  offset: number
}

function compareText(value: unknown): string {
  return value === null || value === undefined ? 'null' : String(value)
}

/** Builds the test for one bracket-dialect filter value: `v`, `!v`, `a,b`, `null`, `!null`, `<v`, `>=v`. */
function filterTest(raw: string): FilterTest {
  if (raw === 'null') return (value) => value === null || value === undefined
  if (raw === '!null') return (value) => value !== null && value !== undefined

  const range = /^(<=|>=|<|>)(.*)$/.exec(raw)
  if (range !== null) {
    const operator = range[1]
    const bound = range[2] ?? ''
    return (value) => {
      const left = compareText(value)
      const numeric = !Number.isNaN(Number(left)) && !Number.isNaN(Number(bound))
      const order = numeric ? Number(left) - Number(bound) : left.localeCompare(bound)
      if (operator === '<') return order < 0
      if (operator === '<=') return order <= 0
      if (operator === '>') return order > 0
      return order >= 0
    }
  }

  if (raw.startsWith('!')) {
    const rest = filterTest(raw.slice(1))
    return (value) => !rest(value)
  }
  if (raw.includes(',')) {
    const options = raw.split(',')
    return (value) => options.includes(compareText(value))
  }
  return (value) => compareText(value) === raw
}

function pageNumber(raw: string | null, fallback: number): number {
  if (raw === null) return fallback
  const number = Number(raw)
  return Number.isInteger(number) && number >= 0 ? number : fallback
}

/**
 * Reads filter, sort, include and page parameters in the era's key case. Keys the schema does not allow,
 * or keys in the other era's case, are dropped silently, as the Hub's bracket dialect does.
 */
export function parseListQuery(query: URLSearchParams, schema: ListSchema, era: WireEra): ListQuery {
  const byWire = (names: string[]): Map<string, string> => new Map(names.map((name) => [wireKey(name, era), name]))
  const filterKeys = byWire(schema.filters)
  const includeKeys = byWire(schema.includes)
  const sortKeys = byWire(schema.sorts)

  const filters: ListQuery['filters'] = []
  for (const [key, raw] of query.entries()) {
    const match = /^filter\[([^\]]+)\]$/.exec(key)
    const field = match === null ? undefined : filterKeys.get(match[1] ?? '')
    if (field !== undefined) filters.push({ field, test: filterTest(raw) })
  }

  const includes = (query.get('include') ?? '')
    .split(',')
    .map((name) => includeKeys.get(name.trim()))
    .filter((name): name is string => name !== undefined)

  const sort: ListQuery['sort'] = []
  for (const item of (query.get('sort') ?? '').split(',')) {
    const descending = item.startsWith('-')
    const field = sortKeys.get(descending ? item.slice(1) : item.replace(/^\+/, ''))
    if (field !== undefined) sort.push({ field, descending })
  }

  return {
    filters,
    includes,
    sort: sort.length > 0 ? sort : schema.defaultSort,
    limit: Math.min(pageNumber(query.get('page[limit]'), MAX_PAGE_LIMIT), MAX_PAGE_LIMIT),
    offset: pageNumber(query.get('page[offset]'), 0)
  }
}

/** Applies filters and sort, then cuts one page. Returns the page and the filtered total. */
export function selectPage<T extends object>(rows: T[], query: ListQuery): { page: T[]; total: number } {
  const matching = rows.filter((row) =>
    query.filters.every(({ field, test }) => test((row as Record<string, unknown>)[field]))
  )
  matching.sort((left, right) => {
    for (const { field, descending } of query.sort) {
      const a = compareText((left as Record<string, unknown>)[field])
      const b = compareText((right as Record<string, unknown>)[field])
      const order = a.localeCompare(b)
      if (order !== 0) return descending ? -order : order
    }
    return 0
  })
  return { page: matching.slice(query.offset, query.offset + query.limit), total: matching.length }
}

/** Describes the keys a list endpoint accepts, for the E4 `meta.schema`. */
export function describeSchema(schema: ListSchema): Record<string, unknown> {
  return {
    filters: schema.filters,
    relations: schema.includes,
    sort: schema.sorts,
    pagination: { maxLimit: MAX_PAGE_LIMIT }
  }
}

export function listBody(
  rows: object[],
  meta: { total: number; limit: number; offset: number },
  schema: ListSchema,
  era: WireEra
): unknown {
  const fullMeta = era === 'e4' ? { ...meta, schema: describeSchema(schema) } : meta
  return { data: toWire(rows, era), meta: fullMeta }
}

/** Wraps a single record: bare in E3, `{data, meta}` in E4 with the schema on GET and an empty meta on writes. */
export function recordBody(entity: object, era: WireEra, schema?: ListSchema): unknown {
  if (era === 'e3') return toWire(entity, era)
  return { data: entity, meta: schema === undefined ? {} : { schema: describeSchema(schema) } }
}

/** Parses a JSON request body into an object, or fails with 400. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch {
    throw new ApiError(400, 'bad_request', 'The request body is not valid JSON.')
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ApiError(400, 'bad_request', 'The request body must be a JSON object.')
  }
  return parsed as Record<string, unknown>
}

/**
 * Keeps the allowed keys (written in the era's case) and returns them in canonical names. Other keys,
 * including keys in the other era's case, are dropped, as the Hub's validation does. A missing required
 * key fails with 400 and one issue per key.
 */
export function readInput(
  body: Record<string, unknown>,
  allowed: string[],
  required: string[],
  era: WireEra
): Record<string, unknown> {
  const input: Record<string, unknown> = {}
  for (const field of allowed) {
    const key = wireKey(field, era)
    if (Object.hasOwn(body, key)) input[field] = body[key]
  }

  const missing = required.filter((field) => input[field] === undefined || input[field] === null)
  if (missing.length > 0) {
    const issues = missing.map((field) => ({
      code: 'invalid_type',
      path: [wireKey(field, era)],
      message: `The ${wireKey(field, era)} attribute is required.`
    }))
    throw new ApiError(400, 'invalid_input', `The input is invalid: ${missing.map((f) => wireKey(f, era)).join(', ')} missing.`, issues)
  }
  return input
}
