// The Hub's two wire formats. E3 (Hub 0.8.27 to 0.12.x) speaks snake_case and returns bare
// records; E4 (Hub 0.13.0 and later) speaks camelCase in bodies and query keys and wraps every
// single record as {data, meta}. Both wrap lists as {data, meta: {total, limit, offset}}.

import { HubError } from './errors.js'
import type { Era } from './model.js'

/** Every core and storage list endpoint caps `page[limit]` at this value. */
export const PAGE_LIMIT = 50

/** Chooses the era from a Hub version string such as `0.14.0` or `v0.12.7`. */
export function eraOfVersion(version: string): Era {
  const match = /^v?(\d+)\.(\d+)/.exec(version.trim())
  if (match === null) {
    throw new HubError('protocol', `The Hub reported version "${version}", which is not of the form major.minor[.patch]`)
  }
  const major = Number(match[1])
  const minor = Number(match[2])
  return major > 0 || minor >= 13 ? 'e4' : 'e3'
}

export function snakeToCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase())
}

export function camelToSnake(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)
}

/** Writes a camelCase field name in the era's case. */
export function keyForEra(key: string, era: Era): string {
  return era === 'e3' ? camelToSnake(key) : key
}

/** Renames the keys of every object inside `value`, at any depth; other values pass unchanged. */
function convertKeys(value: unknown, convert: (key: string) => string): unknown {
  if (Array.isArray(value)) {
    return value.map((item) => convertKeys(item, convert))
  }
  if (value !== null && typeof value === 'object') {
    const result: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      result[convert(key)] = convertKeys(item, convert)
    }
    return result
  }
  return value
}

export function toCamelKeys(value: unknown): unknown {
  return convertKeys(value, snakeToCamel)
}

export function toSnakeKeys(value: unknown): unknown {
  return convertKeys(value, camelToSnake)
}

/** Encodes a camelCase request body in the era's case. */
export function encodeBody(body: Record<string, unknown>, era: Era): string {
  return JSON.stringify(era === 'e3' ? toSnakeKeys(body) : body)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/**
 * Returns the entity of a single-record response with camelCase keys. An object with both
 * `data` and `meta` is an E4 envelope; anything else is a bare E3 record.
 */
export function decodeRecord(body: unknown, entityLabel: string): Record<string, unknown> {
  let entity = body
  if (isRecord(body) && 'data' in body && 'meta' in body) {
    entity = body.data
  }
  if (!isRecord(entity)) {
    throw new HubError('protocol', `Expected ${entityLabel} as a JSON object, got ${describeValue(entity)}`)
  }
  return toCamelKeys(entity) as Record<string, unknown>
}

export interface ListPage {
  rows: Record<string, unknown>[]
  /** `meta.total`, when the server sent it. */
  total: number | undefined
}

/** Returns the rows of a list envelope `{data: [...], meta: {total}}` with camelCase keys. */
export function decodeList(body: unknown, entityLabel: string): ListPage {
  if (!isRecord(body) || !Array.isArray(body.data)) {
    throw new HubError('protocol', `Expected a list of ${entityLabel} as {data: [...], meta}, got ${describeValue(body)}`)
  }

  const rows: Record<string, unknown>[] = []
  for (const item of body.data) {
    if (!isRecord(item)) {
      throw new HubError('protocol', `Expected every ${entityLabel} list entry to be an object, got ${describeValue(item)}`)
    }
    rows.push(toCamelKeys(item) as Record<string, unknown>)
  }

  const meta = isRecord(body.meta) ? body.meta : {}
  const total = typeof meta.total === 'number' && Number.isFinite(meta.total) ? meta.total : undefined
  return { rows, total }
}

export type FilterValue = string | number | boolean

export interface ListQuery {
  /** Equality filters by camelCase field name. */
  filter?: Record<string, FilterValue>
  /** camelCase field names; a leading `-` sorts descending. */
  sort?: string[]
  /** camelCase relation names. */
  include?: string[]
  limit?: number
  offset?: number
}

/** Builds the bracket-dialect query string (without `?`) with keys in the era's case. */
export function buildQuery(query: ListQuery, era: Era): string {
  const params = new URLSearchParams()

  for (const [field, value] of Object.entries(query.filter ?? {})) {
    params.append(`filter[${keyForEra(field, era)}]`, String(value))
  }

  if (query.sort !== undefined && query.sort.length > 0) {
    const fields = query.sort.map((field) => (field.startsWith('-') ? `-${keyForEra(field.slice(1), era)}` : keyForEra(field, era)))
    params.append('sort', fields.join(','))
  }

  if (query.include !== undefined && query.include.length > 0) {
    params.append('include', query.include.map((relation) => keyForEra(relation, era)).join(','))
  }

  if (query.limit !== undefined) {
    params.append('page[limit]', String(query.limit))
  }
  if (query.offset !== undefined) {
    params.append('page[offset]', String(query.offset))
  }

  return params.toString()
}

/** Tests a camelCase row against every equality filter, because the server may have ignored them. */
export function matchesFilter(row: Record<string, unknown>, filter: Record<string, FilterValue> | undefined): boolean {
  for (const [field, expected] of Object.entries(filter ?? {})) {
    const actual = row[field]
    if (actual === null || actual === undefined || String(actual) !== String(expected)) {
      return false
    }
  }
  return true
}

function describeValue(value: unknown): string {
  if (value === null) {
    return 'null'
  }
  if (Array.isArray(value)) {
    return 'an array'
  }
  if (typeof value === 'object') {
    return `an object with keys ${Object.keys(value).slice(0, 6).join(', ') || '(none)'}`
  }
  return typeof value
}
