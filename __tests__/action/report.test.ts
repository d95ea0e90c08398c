import { describe, expect, it } from '@jest/globals'

import { buildAnnotations, MAX_ANNOTATIONS_PER_LEVEL } from '../../src/report/annotations.js'
import { escapeHtml } from '../../src/report/escape.js'
import { failureMessage } from '../../src/report/exit.js'
import { buildOutputs, buildReport, type ReportLimits } from '../../src/report/outputs.js'
import { renderSummary } from '../../src/report/summary.js'
import { mergeRound } from '../../src/verdict/merge.js'
import { failedPair, NODES, passedPair, precheckFailedPair, roundRecord, slowPair } from './fixtures.js'

const LIMITS: ReportLimits = {
  budgets: { login: 10, bucket: 60, build: 120, distribution: 120, execution: 240, results: 60 },
  latencyLimit: 600
}

function reportOf(record = roundRecord([passedPair('default-1'), passedPair('default-2')]), nodes = NODES) {
  return buildReport(record, mergeRound(record, nodes), LIMITS)
}

describe('escapeHtml', () => {
  it('escapes markup characters', () => {
    expect(escapeHtml(`<img src=x onerror="alert('1')">&`)).toBe(
      '&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;'
    )
  })
})

describe('renderSummary', () => {
  it('shows status and both tables', () => {
    const html = renderSummary(reportOf())

    expect(html).toContain('<h2>FLAME Hub health check: 🟢 Operational</h2>')
    expect(html).toContain('<th>Step</th><th>Status</th><th>Duration</th><th>Budget</th><th>Reason</th>')
    expect(html).toContain('<th>Node</th><th>Role</th><th>Status</th><th>Latency</th><th>Reason</th>')
    expect(html).toContain('<tr><td>Build and distribute</td><td>✅ success</td><td>40.00 s</td>')
    expect(html).toContain('<td>120 s build + 120 s distribution</td>')
    expect(html).toContain('<tr><td>default-2</td><td>compute</td><td>✅ success</td><td>64.00 s</td><td></td></tr>')
    expect(html).toContain('Hub version 0.13.2 (era E4)')
  })

  it('escapes Hub text', () => {
    const hostile = '<script>alert(1)</script> & "quotes"'
    const record = roundRecord([passedPair('default-1'), failedPair('default-2', 'execute', hostile)], {
      notes: ['<b>note</b>'],
      hub: { coreUrl: 'http://127.0.0.1:1/<core>', version: '<v1>', era: 'e3' }
    })

    const html = renderSummary(reportOf(record))

    expect(html).not.toContain('<script>')
    expect(html).not.toContain('<b>note</b>')
    expect(html).not.toContain('<v1>')
    expect(html).toContain('default-2: &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;')
    expect(html).toContain('<li>&lt;b&gt;note&lt;/b&gt;</li>')
    expect(html).toContain('<code>http://127.0.0.1:1/&lt;core&gt;</code>')
  })

  it('turns reason newlines into breaks', () => {
    const record = roundRecord([
      failedPair('default-1', 'execute', 'first'),
      failedPair('default-2', 'execute', 'second')
    ])

    expect(renderSummary(reportOf(record))).toContain('<td>default-1: first<br>default-2: second</td>')
  })

  it('says when the round was cancelled', () => {
    const html = renderSummary(reportOf(roundRecord([passedPair('default-1')], { cancelled: true })))

    expect(html).toContain('<strong>The round was cancelled</strong>')
  })

  it('renders a failed login', () => {
    const record = roundRecord([], {
      login: { status: 'failed', seconds: null, reason: 'auth answered 503' },
      setup: {
        status: 'unknown',
        seconds: null,
        projectId: null,
        projectName: 'health-check',
        masterImage: null,
        staleAnalysesDeleted: 0
      },
      aggregator: null,
      hub: { coreUrl: 'http://127.0.0.1:1/core', version: null, era: null }
    })

    const html = renderSummary(reportOf(record))

    expect(html).toContain('🔴 Major outage')
    expect(html).toContain('Hub version unknown (unknown era)')
    expect(html).toContain('<tr><td>Login</td><td>❌ failed</td><td>–</td><td>10 s</td><td>auth answered 503</td></tr>')
    expect(html).toContain('<tr><td>default-1</td><td>undetermined</td><td>❔ unknown</td><td>–</td>')
    expect(html).not.toContain('Pairs and analyses')
  })

  it('lists analysis ids', () => {
    expect(renderSummary(reportOf())).toContain('<td>analysis-default-1</td>')
  })
})

describe('buildOutputs', () => {
  it('writes every output', () => {
    const record = roundRecord([
      passedPair('default-1'),
      precheckFailedPair('default-2', 'unknown-node', 'node default-2 is not registered on the Hub')
    ])

    const outputs = buildOutputs(reportOf(record))

    expect(Object.keys(outputs).sort()).toEqual(
      ['down-nodes', 'duration', 'hub-version', 'nodes', 'report', 'status', 'steps'].sort()
    )
    expect(outputs.status).toBe('partial_outage')
    expect(JSON.parse(outputs.steps!)).toEqual({
      login: 'success',
      upload: 'success',
      distribute: 'success',
      execute: 'success',
      results: 'success',
      latency: 'success'
    })
    expect(JSON.parse(outputs.nodes!)['default-2']).toEqual({
      status: 'failed',
      seconds: null,
      reason: 'node default-2 is not registered on the Hub'
    })
    expect(outputs['down-nodes']).toBe('default-2')
    expect(outputs.duration).toBe('70.50')
    expect(outputs['hub-version']).toBe('0.13.2')
  })

  it('puts pairs into the report', () => {
    const report = JSON.parse(buildOutputs(reportOf()).report!)

    expect(report.pairs.map((pair: { analysisId: string }) => pair.analysisId)).toEqual([
      'analysis-default-1',
      'analysis-default-2'
    ])
    expect(report.startedAt).toBe('2026-12-04T10:31:42.000Z')
    expect(report.limits.latencyLimit).toBe(600)
  })
})

describe('buildAnnotations', () => {
  it('annotates failed steps and nodes', () => {
    const record = roundRecord([passedPair('default-1'), failedPair('default-2', 'execute', 'stopped')])

    const annotations = buildAnnotations(mergeRound(record, NODES))

    expect(annotations).toEqual([
      { level: 'error', title: 'FLAME step execute failed', message: 'default-2: stopped' },
      { level: 'error', title: 'FLAME node default-2 is down', message: 'execute failed: stopped' }
    ])
  })

  it('warns for latency', () => {
    const record = roundRecord([passedPair('default-1'), slowPair('default-2', 700)])

    expect(buildAnnotations(mergeRound(record, NODES))).toEqual([
      { level: 'warning', title: 'FLAME step latency failed', message: 'default-2: took 700 s, limit 600 s' }
    ])
  })

  it('caps each level', () => {
    const names = Array.from({ length: 14 }, (_, index) => `node-${index}`)
    const record = roundRecord(names.map((name) => failedPair(name, 'execute', 'stopped')))

    const annotations = buildAnnotations(mergeRound(record, ['aggregator-1', ...names]))
    const errors = annotations.filter((annotation) => annotation.level === 'error')

    expect(errors).toHaveLength(MAX_ANNOTATIONS_PER_LEVEL)
    expect(errors[9]!.title).toBe('7 more FLAME errors')
    expect(errors[9]!.message.split('\n')).toHaveLength(7)
  })
})

describe('failureMessage', () => {
  it.each([
    ['never', 'major_outage', false],
    ['major-outage', 'major_outage', true],
    ['major-outage', 'partial_outage', false],
    ['partial-outage', 'partial_outage', true],
    ['partial-outage', 'degraded', false],
    ['any-failure', 'degraded', true],
    ['any-failure', 'operational', false]
  ] as const)('fail-on %s with %s', (failOn, status, fails) => {
    expect(failureMessage(failOn, status) !== null).toBe(fails)
  })
})
