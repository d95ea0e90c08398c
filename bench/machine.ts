// The machine a benchmark ran on, as recorded next to its figures.

import { readFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os'

export interface Machine {
  cpuModel: string
  /** Logical CPUs this process may use. */
  cores: number
  memoryGiB: number
  node: string
  os: string
  /** 1-minute load average when the benchmark started; other work on the machine slows every figure. */
  loadAverage: number
  /** ISO time the benchmark started. */
  date: string
}

/** Reads the CPU model from /proc/cpuinfo, falling back to what Node reports outside Linux. */
function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((candidate) => candidate.startsWith('model name'))
    if (line !== undefined) return line.split(':').slice(1).join(':').trim()
  } catch {
    // Not Linux: os.cpus() still names the model.
  }
  return cpus()[0]?.model ?? 'unknown'
}

export function describeMachine(): Machine {
  return {
    cpuModel: cpuModel(),
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${platform()} ${release()}`,
    loadAverage: Math.round(loadavg()[0]! * 100) / 100,
    date: new Date().toISOString()
  }
}
