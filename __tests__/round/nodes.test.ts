import { describe, expect, it } from '@jest/globals'

import { decideOnlineFlagUse, findNode, precheckNode, splitNodes } from '../../src/round/nodes.js'
import { analysisName } from '../../src/round/phases.js'
import { DEFAULT_NODES, hubNode } from './support/fake-hub.js'

describe('splitNodes', () => {
  it('finds the aggregator by Hub type', () => {
    const split = splitNodes(['default-1', 'aggregator-1', 'default-2'], DEFAULT_NODES)
    expect(split).toMatchObject({ ok: true, aggregator: { name: 'aggregator-1' }, computeNames: ['default-1', 'default-2'] })
  })

  it('drops repeated names', () => {
    const split = splitNodes(['aggregator-1', 'default-1', 'default-1'], DEFAULT_NODES)
    expect(split).toMatchObject({ ok: true, computeNames: ['default-1'] })
  })

  it('keeps unknown names as compute names', () => {
    const split = splitNodes(['aggregator-1', 'default-7'], DEFAULT_NODES)
    expect(split).toMatchObject({ ok: true, computeNames: ['default-7'] })
  })

  it('rejects a round without aggregator', () => {
    expect(splitNodes(['default-1', 'default-2'], DEFAULT_NODES)).toEqual({
      ok: false,
      misconfiguration: 'none of the configured nodes default-1, default-2 is an aggregator on the Hub'
    })
  })
})

describe('findNode', () => {
  it('prefers a visible node', () => {
    const hidden = hubNode('default-1', 'default', { id: 'hidden', hidden: true })
    const visible = hubNode('default-1', 'default', { id: 'visible' })
    expect(findNode([hidden, visible], 'default-1')?.id).toBe('visible')
  })

  it('matches names exactly', () => {
    expect(findNode(DEFAULT_NODES, 'Default-1')).toBeUndefined()
  })
})

describe('decideOnlineFlagUse', () => {
  const someOnline = [hubNode('aggregator-1', 'aggregator', { online: true }), hubNode('default-1')]

  it.each([
    ['auto', DEFAULT_NODES, false],
    ['auto', someOnline, true],
    ['online', DEFAULT_NODES, true],
    ['off', someOnline, false]
  ] as const)('mode %s requires the flag: case %#', (mode, nodes, required) => {
    expect(decideOnlineFlagUse(mode, [...nodes]).required).toBe(required)
  })
})

describe('precheckNode', () => {
  it('passes a registered node', () => {
    expect(precheckNode('default-1', hubNode('default-1', 'default', { online: true }), true)).toEqual({ passed: true })
  })

  it('checks the registry whatever the mode', () => {
    const node = hubNode('default-1', 'default', { registryId: null, online: true })
    expect(precheckNode('default-1', node, false)).toMatchObject({ passed: false, cause: 'no-registry' })
  })

  it('ignores offline when not required', () => {
    expect(precheckNode('default-1', hubNode('default-1'), false)).toEqual({ passed: true })
  })
})

describe('analysisName', () => {
  it('keeps a plain node name', () => {
    expect(analysisName('default-1')).toMatch(/^default-1-[0-9a-f]{8}$/)
  })

  it('lowercases and replaces other characters', () => {
    expect(analysisName('Site Köln #2')).toMatch(/^site-k-ln-2-[0-9a-f]{8}$/)
  })

  it('differs between calls', () => {
    expect(analysisName('default-1')).not.toBe(analysisName('default-1'))
  })

  it('stays within the Hub name length', () => {
    const name = analysisName('x'.repeat(300))
    expect(name.length).toBeLessThanOrEqual(128)
  })
})
