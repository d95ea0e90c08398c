// Pure parts of the client: era detection, key conversion, envelopes, queries, URL joining,
// Retry-After parsing and the mapping of decoded rows to the model.

import { describe, expect, it } from '@jest/globals'
import { toAnalysis, toAnalysisBucket } from '../../src/hub/entities.js'
import { HubError } from '../../src/hub/errors.js'
import { joinUrl, parseRetryAfter, SecretRedactor } from '../../src/hub/http.js'
import { isFailureStatus, isSuccessStatus } from '../../src/hub/model.js'
import {
  buildQuery,
  camelToSnake,
  decodeList,
  decodeRecord,
  encodeBody,
  eraOfVersion,
  matchesFilter,
  snakeToCamel,
  toCamelKeys,
  toSnakeKeys
} from '../../src/hub/wire.js'

describe('eraOfVersion', () => {
  it.each([
    ['0.14.0', 'e4'],
    ['0.13.0', 'e4'],
    ['v0.13.2', 'e4'],
    ['1.0.0', 'e4'],
    ['0.12.7', 'e3'],
    ['0.8.27', 'e3'],
    ['0.12.7-beta.1', 'e3']
  ])('maps %s to %s', (version, era) => {
    expect(eraOfVersion(version)).toBe(era)
  })

  it('rejects a version without major.minor', () => {
    expect(() => eraOfVersion('latest')).toThrow(HubError)
    expect(() => eraOfVersion('latest')).toThrow('"latest"')
  })
})

describe('key conversion', () => {
  it('converts single keys both ways', () => {
    expect(snakeToCamel('analysis_bucket_id')).toBe('analysisBucketId')
    expect(camelToSnake('analysisBucketId')).toBe('analysis_bucket_id')
    expect(snakeToCamel('id')).toBe('id')
    expect(camelToSnake('id')).toBe('id')
  })

  it('converts nested objects and arrays', () => {
    const wire = { build_status: 'executed', master_image: { virtual_path: 'python/base' }, node_list: [{ node_id: 'n1' }] }
    const camel = toCamelKeys(wire)
    expect(camel).toEqual({ buildStatus: 'executed', masterImage: { virtualPath: 'python/base' }, nodeList: [{ nodeId: 'n1' }] })
    expect(toSnakeKeys(camel)).toEqual(wire)
  })

  it('leaves values untouched', () => {
    expect(toCamelKeys({ command: 'configuration_lock', count: 3, flag: null })).toEqual({ command: 'configuration_lock', count: 3, flag: null })
  })

  it('encodes bodies in the era case', () => {
    const body = { projectId: 'p1', masterImageId: 'm1' }
    expect(JSON.parse(encodeBody(body, 'e3'))).toEqual({ project_id: 'p1', master_image_id: 'm1' })
    expect(JSON.parse(encodeBody(body, 'e4'))).toEqual(body)
  })
})

describe('decodeRecord', () => {
  it('unwraps an E4 envelope', () => {
    expect(decodeRecord({ data: { id: 'a1', buildStatus: null }, meta: {} }, 'an analysis')).toEqual({ id: 'a1', buildStatus: null })
  })

  it('reads a bare E3 record', () => {
    expect(decodeRecord({ id: 'a1', build_status: 'started' }, 'an analysis')).toEqual({ id: 'a1', buildStatus: 'started' })
  })

  it('keeps an entity that has a data field only', () => {
    expect(decodeRecord({ id: 'x', data: 'payload' }, 'a record')).toEqual({ id: 'x', data: 'payload' })
  })

  it('rejects a non-object body', () => {
    expect(() => decodeRecord([1, 2], 'an analysis')).toThrow('Expected an analysis as a JSON object, got an array')
  })
})

describe('decodeList', () => {
  it('returns rows and total', () => {
    const page = decodeList({ data: [{ node_id: 'n1' }], meta: { total: 7, limit: 50, offset: 0 } }, 'nodes')
    expect(page.rows).toEqual([{ nodeId: 'n1' }])
    expect(page.total).toBe(7)
  })

  it('tolerates missing meta', () => {
    expect(decodeList({ data: [] }, 'nodes').total).toBeUndefined()
  })

  it('rejects a bare array', () => {
    expect(() => decodeList([], 'nodes')).toThrow('Expected a list of nodes')
  })
})

describe('buildQuery', () => {
  const query = { filter: { projectId: 'p 1', nodeId: 'n1' }, sort: ['-createdAt', 'name'], include: ['masterImage'], limit: 50, offset: 100 }

  it('writes E4 keys in camelCase', () => {
    const params = new URLSearchParams(buildQuery(query, 'e4'))
    expect(params.get('filter[projectId]')).toBe('p 1')
    expect(params.get('filter[nodeId]')).toBe('n1')
    expect(params.get('sort')).toBe('-createdAt,name')
    expect(params.get('include')).toBe('masterImage')
    expect(params.get('page[limit]')).toBe('50')
    expect(params.get('page[offset]')).toBe('100')
  })

  it('writes E3 keys in snake_case', () => {
    const params = new URLSearchParams(buildQuery(query, 'e3'))
    expect(params.get('filter[project_id]')).toBe('p 1')
    expect(params.get('filter[projectId]')).toBeNull()
    expect(params.get('sort')).toBe('-created_at,name')
    expect(params.get('include')).toBe('master_image')
  })

  it('encodes brackets and values', () => {
    expect(buildQuery({ filter: { name: 'a&b' } }, 'e4')).toBe('filter%5Bname%5D=a%26b')
  })

  it('omits absent parts', () => {
    expect(buildQuery({}, 'e4')).toBe('')
  })
})

describe('matchesFilter', () => {
  it('compares as strings', () => {
    expect(matchesFilter({ online: true, nodeId: 'n1' }, { online: true, nodeId: 'n1' })).toBe(true)
    expect(matchesFilter({ online: 'true' }, { online: true })).toBe(true)
  })

  it('rejects a missing field', () => {
    expect(matchesFilter({ nodeId: 'n1' }, { projectId: 'p1' })).toBe(false)
  })

  it('accepts any row without filters', () => {
    expect(matchesFilter({}, undefined)).toBe(true)
  })
})

describe('joinUrl', () => {
  it.each([
    ['http://127.0.0.1:3000/core/', 'analyses/1', 'http://127.0.0.1:3000/core/analyses/1'],
    ['http://127.0.0.1:3000/core', 'analyses/1', 'http://127.0.0.1:3000/core/analyses/1'],
    ['http://127.0.0.1:3000/core', '/analyses/1', 'http://127.0.0.1:3000/core/analyses/1'],
    ['http://127.0.0.1:3000/a/b/core/', 'buckets/x/stream', 'http://127.0.0.1:3000/a/b/core/buckets/x/stream'],
    ['http://127.0.0.1:3000', 'nodes', 'http://127.0.0.1:3000/nodes'],
    ['http://127.0.0.1:3000/core/?x=1#top', 'nodes', 'http://127.0.0.1:3000/core/nodes'],
    ['http://127.0.0.1:3000/core', '', 'http://127.0.0.1:3000/core/']
  ])('joins %s and %s', (base, path, expected) => {
    expect(joinUrl(base, path).href).toBe(expected)
  })

  it('rejects a relative base', () => {
    expect(() => joinUrl('core/', 'nodes')).toThrow('Invalid Hub base URL "core/"')
  })

  it('rejects a non-http base', () => {
    expect(() => joinUrl('ftp://127.0.0.1/core', 'nodes')).toThrow('the protocol must be http or https')
  })
})

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-08-19T10:00:00Z')

  it('reads delay seconds', () => {
    expect(parseRetryAfter('3', now)).toBe(3000)
    expect(parseRetryAfter('0.5', now)).toBe(500)
  })

  it('reads an HTTP date', () => {
    expect(parseRetryAfter('Wed, 19 Aug 2026 10:00:10 GMT', now)).toBe(10_000)
  })

  it('clamps a past date to zero', () => {
    expect(parseRetryAfter('Wed, 19 Aug 2026 09:00:00 GMT', now)).toBe(0)
  })

  it('ignores garbage', () => {
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter(null, now)).toBeUndefined()
  })
})

describe('SecretRedactor', () => {
  it('masks every registered secret', () => {
    const redactor = new SecretRedactor()
    redactor.add('hunter22')
    redactor.add('eyJ.token.value')
    expect(redactor.redact('pw hunter22 and eyJ.token.value twice hunter22')).toBe('pw *** and *** twice ***')
  })

  it('ignores very short secrets', () => {
    const redactor = new SecretRedactor()
    redactor.add('a')
    expect(redactor.redact('a cat')).toBe('a cat')
  })
})

describe('entities', () => {
  const analysisRow = { id: 'a1', projectId: 'p1', buildStatus: 'finished', distributionStatus: 'executed', executionStatus: null }

  it('keeps finished as success', () => {
    const analysis = toAnalysis(analysisRow)
    expect(analysis.buildStatus).toBe('finished')
    expect(isSuccessStatus(analysis.buildStatus)).toBe(true)
    expect(isSuccessStatus(analysis.distributionStatus)).toBe(true)
    expect(isSuccessStatus(analysis.executionStatus)).toBe(false)
    expect(isFailureStatus('stopped')).toBe(true)
  })

  it('fills neutral defaults', () => {
    const analysis = toAnalysis(analysisRow)
    expect(analysis.nodes).toBe(0)
    expect(analysis.configurationLocked).toBe(false)
    expect(analysis.masterImageId).toBeNull()
  })

  it('rejects an unknown status', () => {
    expect(() => toAnalysis({ ...analysisRow, buildStatus: 'running' })).toThrow('unknown buildStatus "running"')
  })

  it('rejects a row without id', () => {
    expect(() => toAnalysis({ projectId: 'p1' })).toThrow('without a valid "id"')
  })

  it('prefers bucketId over externalId', () => {
    expect(toAnalysisBucket({ id: 'b', type: 'CODE', analysisId: 'a', externalId: 'old' }).bucketId).toBe('old')
    expect(toAnalysisBucket({ id: 'b', type: 'CODE', analysisId: 'a', bucketId: 'new', externalId: 'old' }).bucketId).toBe('new')
  })

  it('rejects an unknown bucket type', () => {
    expect(() => toAnalysisBucket({ id: 'b', type: 'LOGS', analysisId: 'a' })).toThrow('unknown type "LOGS"')
  })
})
