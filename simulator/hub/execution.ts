// Real execution of an analysis: one python3 process per participating node, running the uploaded
// entrypoint against the flame.star stand-in in ../flame_sdk. Nodes exchange values through files in a
// directory per analysis, and the aggregator writes its result files to an output directory.

import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, normalize, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

import { AnalysisAdmission } from './admission.js'
import type { AnalysisNodeLogEntity } from './world.js'

/** The stand-in SDK folder that goes on PYTHONPATH. */
export const FLAME_SDK_DIR = fileURLToPath(new URL('../flame_sdk/', import.meta.url))

/** Log lines kept per node run. The rest are counted and reported in one log line. */
const MAX_LOG_LINES = 200

/** Real seconds between the wait deadline inside python and the kill of a run that ignored it. */
const KILL_GRACE_SECONDS = 5

export interface NodeRunSpec {
  analysisId: string
  projectId: string
  nodeId: string
  role: 'default' | 'aggregator'
  participants: Array<{ nodeId: string; nodeType: 'default' | 'aggregator' }>
  entrypoint: string
  fail: boolean
}

export interface NodeRunResult {
  ok: boolean
  exitCode: number | null
  signal: string | null
  /** Result files the aggregator wrote (empty for analyzers and failed runs). */
  outputs: Array<{ name: string; content: Buffer }>
  durationMs: number
}

interface Workspace {
  root: string
  codeDir: string
  exchangeDir: string
  outputDir: string
}

export class ExecutionManager {
  /** Created on the first prepared analysis, so a simulator that never runs python leaves no folder. */
  private baseDir: string | undefined
  private readonly workspaces = new Map<string, Workspace>()
  private readonly children = new Map<string, Set<ChildProcess>>()
  private readonly admission: AnalysisAdmission

  constructor(
    private readonly python: string,
    private readonly timeoutSeconds: number,
    maxConcurrentAnalyses: number,
    private readonly onLog: (entry: AnalysisNodeLogEntity) => void,
    private readonly log: (line: string) => void
  ) {
    this.admission = new AnalysisAdmission(maxConcurrentAnalyses)
  }

  /** Writes the CODE bucket files once per analysis. Paths that leave the code folder are rejected. */
  prepare(analysisId: string, files: Array<{ path: string; content: Buffer }>): void {
    if (this.workspaces.has(analysisId)) return
    this.baseDir ??= mkdtempSync(join(tmpdir(), 'flame-hub-sim-'))
    const root = join(this.baseDir, analysisId)
    const workspace: Workspace = {
      root,
      codeDir: join(root, 'code'),
      exchangeDir: join(root, 'exchange'),
      outputDir: join(root, 'output')
    }
    for (const dir of [workspace.codeDir, workspace.exchangeDir, workspace.outputDir]) mkdirSync(dir, { recursive: true })

    for (const file of files) {
      const target = normalize(join(workspace.codeDir, file.path))
      if (!target.startsWith(workspace.codeDir + sep)) {
        this.log(`analysis ${analysisId}: skipped code file "${file.path}" because its path leaves the code folder`)
        continue
      }
      mkdirSync(dirname(target), { recursive: true })
      writeFileSync(target, file.content)
    }
    this.workspaces.set(analysisId, workspace)
  }

  /**
   * Starts one node's python run once its analysis may run, and resolves when the process has ended or was
   * killed. A run dropped while it waited resolves as failed without a process.
   */
  run(spec: NodeRunSpec): Promise<NodeRunResult> {
    return new Promise((resolve) => {
      const started = performance.now()
      const cancel = (): void => resolve({ ok: false, exitCode: null, signal: null, outputs: [], durationMs: performance.now() - started })
      const start = (): void => {
        let running: Promise<NodeRunResult>
        try {
          running = this.spawnRun(spec)
        } catch (error) {
          this.log(`analysis ${spec.analysisId}: python run of node ${spec.nodeId} could not start: ${String(error)}`)
          this.admission.leave(spec.analysisId)
          cancel()
          return
        }
        void running.then(resolve)
      }
      this.admission.enter(spec.analysisId, start, cancel)
    })
  }

  private spawnRun(spec: NodeRunSpec): Promise<NodeRunResult> {
    const workspace = this.workspaces.get(spec.analysisId)
    if (workspace === undefined) throw new Error(`analysis ${spec.analysisId} has no prepared workspace`)

    const started = performance.now()
    const child = spawn(this.python, [spec.entrypoint], {
      cwd: workspace.codeDir,
      env: {
        ...process.env,
        PYTHONPATH: [FLAME_SDK_DIR, process.env.PYTHONPATH].filter(Boolean).join(':'),
        PYTHONUNBUFFERED: '1',
        PYTHONDONTWRITEBYTECODE: '1',
        ANALYSIS_ID: spec.analysisId,
        PROJECT_ID: spec.projectId,
        FLAME_SIM_NODE_ID: spec.nodeId,
        FLAME_SIM_ROLE: spec.role,
        FLAME_SIM_PARTICIPANTS: JSON.stringify(spec.participants),
        FLAME_SIM_EXCHANGE_DIR: workspace.exchangeDir,
        FLAME_SIM_OUTPUT_DIR: spec.role === 'aggregator' ? workspace.outputDir : '',
        FLAME_SIM_TIMEOUT_SECONDS: String(this.timeoutSeconds),
        FLAME_SIM_FAIL: spec.fail ? '1' : '0'
      },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    this.track(spec.analysisId, child)

    let lines = 0
    const capture = (channel: 'stdout' | 'stderr') => (chunk: Buffer) => {
      for (const message of chunk.toString('utf8').split('\n')) {
        if (message === '') continue
        lines++
        if (lines > MAX_LOG_LINES) continue
        this.onLog({
          time: new Date().toISOString(),
          message,
          service: 'analysis',
          channel,
          level: channel === 'stderr' ? 'error' : 'info',
          labels: { analysisId: spec.analysisId, nodeId: spec.nodeId },
          analysisId: spec.analysisId,
          nodeId: spec.nodeId
        })
      }
    }
    child.stdout?.on('data', capture('stdout'))
    child.stderr?.on('data', capture('stderr'))

    // The wait deadline inside python should end the run first, so this kill is only the backstop.
    const killTimer = setTimeout(() => {
      this.log(`analysis ${spec.analysisId}: python run of node ${spec.nodeId} exceeded its deadline, killing PID ${child.pid}`)
      child.kill('SIGKILL')
    }, (this.timeoutSeconds + KILL_GRACE_SECONDS) * 1000)

    return new Promise((resolve) => {
      let finished = false
      const finish = (exitCode: number | null, signal: string | null): void => {
        if (finished) return
        finished = true
        clearTimeout(killTimer)
        this.untrack(spec.analysisId, child)
        this.admission.leave(spec.analysisId)
        const ok = exitCode === 0
        if (!ok) this.markFailed(workspace, spec.nodeId)
        if (lines > MAX_LOG_LINES) this.log(`analysis ${spec.analysisId}: node ${spec.nodeId} wrote ${lines} log lines, kept ${MAX_LOG_LINES}`)
        const outputs = ok && spec.role === 'aggregator' ? this.collectOutputs(workspace) : []
        resolve({ ok, exitCode, signal, outputs, durationMs: performance.now() - started })
      }
      child.once('error', (error) => {
        this.log(`analysis ${spec.analysisId}: could not start "${this.python}" for node ${spec.nodeId}: ${error.message}`)
        finish(null, null)
      })
      // 'close' comes after the output pipes are drained, so the last log lines are kept.
      child.once('close', finish)
    })
  }

  /** Lets peers that wait for this node fail at once, as they copy a partner's failed status on the platform. */
  private markFailed(workspace: Workspace, nodeId: string): void {
    try {
      writeFileSync(join(workspace.exchangeDir, `failed.${nodeId}`), 'failed\n')
    } catch (error) {
      this.log(`could not write the failure marker of node ${nodeId}: ${String(error)}`)
    }
  }

  private collectOutputs(workspace: Workspace): Array<{ name: string; content: Buffer }> {
    return readdirSync(workspace.outputDir)
      .sort()
      .map((name) => ({ name, content: readFileSync(join(workspace.outputDir, name)) }))
  }

  private track(analysisId: string, child: ChildProcess): void {
    const set = this.children.get(analysisId) ?? new Set()
    set.add(child)
    this.children.set(analysisId, set)
  }

  private untrack(analysisId: string, child: ChildProcess): void {
    this.children.get(analysisId)?.delete(child)
  }

  /** Kills the runs of one analysis (by PID) and removes its files. */
  discard(analysisId: string): void {
    this.admission.discard(analysisId)
    for (const child of this.children.get(analysisId) ?? []) child.kill('SIGKILL')
    this.children.delete(analysisId)
    const workspace = this.workspaces.get(analysisId)
    this.workspaces.delete(analysisId)
    if (workspace !== undefined) rmSync(workspace.root, { recursive: true, force: true })
  }

  /** Kills every run this manager started and removes its temporary folder. */
  stop(): void {
    for (const set of this.children.values()) for (const child of set) child.kill('SIGKILL')
    this.children.clear()
    if (this.baseDir !== undefined) rmSync(this.baseDir, { recursive: true, force: true })
  }
}
