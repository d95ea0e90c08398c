// The flame.star stand-in, run the way the simulator runs it: one python3 process per node, sharing an
// exchange folder. Scripts here probe the SDK behaviour the stand-in promises to reproduce.

import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, expect, test } from '@jest/globals'

import { FLAME_SDK_DIR } from '../../simulator/hub/index.js'
import { CHECK_SCRIPT } from './helpers.js'

const folders: string[] = []

afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true })
})

interface NodeOutcome {
  code: number | null
  stderr: string
}

const NODES = [
  { nodeId: 'agg', nodeType: 'aggregator' },
  { nodeId: 'n1', nodeType: 'default' },
  { nodeId: 'n2', nodeType: 'default' }
] as const

/** Runs `script` on every node at once and returns each node's outcome and the aggregator's output files. */
async function runStar(
  script: string,
  extraEnv: Record<string, Record<string, string>> = {}
): Promise<{ nodes: Record<string, NodeOutcome>; outputs: Record<string, Buffer> }> {
  const root = mkdtempSync(join(tmpdir(), 'flame-sdk-test-'))
  folders.push(root)
  const scriptPath = join(root, 'main.py')
  writeFileSync(scriptPath, script)
  const exchange = join(root, 'exchange')
  const output = join(root, 'output')
  mkdirSync(exchange)
  mkdirSync(output)

  const runs = NODES.map(
    (node) =>
      new Promise<[string, NodeOutcome]>((resolve) => {
        const child = spawn('python3', [scriptPath], {
          cwd: root,
          env: {
            ...process.env,
            PYTHONPATH: FLAME_SDK_DIR,
            FLAME_SIM_NODE_ID: node.nodeId,
            FLAME_SIM_ROLE: node.nodeType,
            FLAME_SIM_PARTICIPANTS: JSON.stringify(NODES),
            FLAME_SIM_EXCHANGE_DIR: exchange,
            FLAME_SIM_OUTPUT_DIR: node.nodeType === 'aggregator' ? output : '',
            FLAME_SIM_TIMEOUT_SECONDS: '5',
            ANALYSIS_ID: 'analysis-1',
            PROJECT_ID: 'project-1',
            ...extraEnv[node.nodeId]
          },
          stdio: ['ignore', 'ignore', 'pipe']
        })
        let stderr = ''
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
        child.once('close', (code) => resolve([node.nodeId, { code, stderr }]))
      })
  )
  const nodes = Object.fromEntries(await Promise.all(runs))
  const outputs = Object.fromEntries(readdirSync(output).map((name) => [name, readFileSync(join(output, name))]))
  return { nodes, outputs }
}

const HEADER = `
import json, pickle
from flame.star import StarModel, StarAnalyzer, StarAggregator
`

test.concurrent('check script reports every node', async () => {
  const { nodes, outputs } = await runStar(readFileSync(CHECK_SCRIPT, 'utf8'))
  expect(Object.values(nodes).map((node) => node.code)).toEqual([0, 0, 0])
  const files = Object.entries(outputs)
  expect(files).toHaveLength(1)
  expect(files[0]?.[0]).toMatch(/^result_[0-9a-f]{4}_\d{12}$/)
  const payload = JSON.parse(files[0]?.[1].toString('utf8') ?? '')
  expect(payload.node_results).toEqual({ n1: 'ok', n2: 'ok', agg: 'ok' })
  expect(payload.nodes_responded).toBe(3)
  expect(payload.overall_success).toBe(true)
})

test.concurrent('iterative run follows the convergence rules', async () => {
  const script = `${HEADER}
class Analyzer(StarAnalyzer):
    def analysis_method(self, data, aggregator_results):
        return {'node': self.id, 'round': self.num_iterations, 'seen': aggregator_results}

class Aggregator(StarAggregator):
    def aggregation_method(self, analysis_results):
        return {'round': self.num_iterations, 'from': [r['node'] for r in analysis_results],
                'seen': [r['seen'] for r in analysis_results]}

    def has_converged(self, result, last_result):
        # Always true: round 1 must still not be final in iterative mode.
        return True

StarModel(Analyzer, Aggregator, 'none', simple_analysis=False, output_type='pickle')
`
  const { nodes, outputs } = await runStar(script)
  expect(Object.values(nodes).map((node) => node.code)).toEqual([0, 0, 0])
  const result = pickleLoad(Object.values(outputs)[0])
  expect(result).toEqual({
    round: 1,
    from: ['n1', 'n2'],
    seen: [
      { round: 0, from: ['n1', 'n2'], seen: [null, null] },
      { round: 0, from: ['n1', 'n2'], seen: [null, null] }
    ]
  })
})

test.concurrent('multiple results split by output type', async () => {
  const script = `${HEADER}
class Analyzer(StarAnalyzer):
    def analysis_method(self, data, aggregator_results):
        return 1

class Aggregator(StarAggregator):
    def aggregation_method(self, analysis_results):
        return ['text', b'raw-bytes']

    def has_converged(self, result, last_result):
        return True

StarModel(Analyzer, Aggregator, 'none', output_type=['str', 'bytes'], multiple_results=True)
`
  const { outputs } = await runStar(script)
  const contents = Object.values(outputs).map((content) => content.toString('utf8')).sort()
  expect(contents).toEqual(['raw-bytes', 'text'])
})

test.concurrent('core reports ids, roles and participants', async () => {
  const script = `${HEADER}
class Analyzer(StarAnalyzer):
    def analysis_method(self, data, aggregator_results):
        return {'node': self.flame.get_id(), 'participants': self.flame.get_participants(),
                'aggregator': self.flame.get_aggregator_id(), 'data': data,
                'analysis': self.flame.get_analysis_id(), 'partners': self.partner_node_ids}

class Aggregator(StarAggregator):
    def aggregation_method(self, analysis_results):
        return json.dumps({'analyzers': analysis_results, 'own_aggregator_id': self.flame.get_aggregator_id(),
                           'role': self.flame.get_role()})

    def has_converged(self, result, last_result):
        return True

StarModel(Analyzer, Aggregator, 'none')
`
  const { outputs } = await runStar(script)
  const payload = JSON.parse(Object.values(outputs)[0]?.toString('utf8') ?? '')
  expect(payload.own_aggregator_id).toBeNull()
  expect(payload.role).toBe('aggregator')
  expect(payload.analyzers[0]).toEqual({
    node: 'n1',
    participants: [
      { nodeId: 'agg', nodeType: 'aggregator' },
      { nodeId: 'n2', nodeType: 'default' }
    ],
    aggregator: 'agg',
    data: null,
    analysis: 'analysis-1',
    partners: ['agg', 'n2']
  })
})

test.concurrent('failing analyzer fails its aggregator quickly', async () => {
  const script = `${HEADER}
class Analyzer(StarAnalyzer):
    def analysis_method(self, data, aggregator_results):
        if self.id == 'n2':
            return lambda: None  # unpicklable, as on the platform
        return 1

class Aggregator(StarAggregator):
    def aggregation_method(self, analysis_results):
        return 'never'

    def has_converged(self, result, last_result):
        return True

StarModel(Analyzer, Aggregator, 'none')
`
  const { nodes, outputs } = await runStar(script)
  expect(nodes.n1?.code).toBe(0)
  expect(nodes.n2?.code).not.toBe(0)
  expect(nodes.n2?.stderr).toContain('pickle')
  expect(nodes.agg?.code).not.toBe(0)
  expect(nodes.agg?.stderr).toContain('node n2 failed')
  // The failure marker ends the wait, not the 5 s deadline.
  expect(nodes.agg?.stderr).not.toContain('timed out')
  expect(outputs).toEqual({})
})

test.concurrent('error log type fails the node', async () => {
  const script = `${HEADER}
class Analyzer(StarAnalyzer):
    def analysis_method(self, data, aggregator_results):
        self.flame.flame_log('broken', log_type='error')
        return 1

class Aggregator(StarAggregator):
    def aggregation_method(self, analysis_results):
        return 'x'

    def has_converged(self, result, last_result):
        return True

StarModel(Analyzer, Aggregator, 'none')
`
  const { nodes } = await runStar(script)
  expect(nodes.n1?.code).not.toBe(0)
  expect(nodes.n1?.stderr).toContain("log_type 'error'")
  expect(nodes.agg?.code).not.toBe(0)
})

test.concurrent('role mismatch raises value error', async () => {
  const script = `${HEADER}
class Analyzer(StarAnalyzer):
    def analysis_method(self, data, aggregator_results):
        return 1

StarModel(Analyzer, Analyzer, 'none')
`
  const { nodes } = await runStar(script)
  expect(nodes.agg?.stderr).toContain('BrokenPipeError')
  expect(nodes.agg?.code).not.toBe(0)
})

test.concurrent('unknown keyword raises type error', async () => {
  const script = `${HEADER}
StarModel(StarAnalyzer, StarAggregator, 'none', filename='result.txt')
`
  const { nodes } = await runStar(script)
  expect(nodes.n1?.stderr).toContain("unexpected keyword argument 'filename'")
})

test.concurrent('fail knob raises before user code', async () => {
  const { nodes } = await runStar(readFileSync(CHECK_SCRIPT, 'utf8'), { agg: { FLAME_SIM_FAIL: '1' } })
  expect(nodes.agg?.code).not.toBe(0)
  expect(nodes.agg?.stderr).toContain('FLAME_SIM_FAIL=1')
  expect(nodes.n1?.code).toBe(0)
})

/** Decodes a pickle by asking python3, the only reader of the format here. */
function pickleLoad(content: Buffer | undefined): unknown {
  const result = spawnSync('python3', ['-c', 'import sys, pickle, json; print(json.dumps(pickle.load(sys.stdin.buffer)))'], { input: content })
  return JSON.parse(result.stdout.toString('utf8'))
}
