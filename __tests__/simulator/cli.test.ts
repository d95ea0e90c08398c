import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

import { afterEach, expect, test } from '@jest/globals'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

let child: ChildProcess | undefined

afterEach(() => {
  if (child?.exitCode === null) child.kill('SIGKILL')
  child = undefined
})

function startCli(args: string[]): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const started = spawn(process.execPath, ['--import', 'tsx', 'simulator/cli.ts', ...args], {
    cwd: ROOT,
    // Jest's --experimental-vm-modules is not needed by the child and only slows it down.
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let text = ''
  started.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')))
  started.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')))
  const exit = new Promise<number | null>((resolve) => started.once('exit', (code) => resolve(code)))
  return { child: started, output: () => text, exit }
}

async function waitForOutput(output: () => string, pattern: RegExp): Promise<RegExpExecArray> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const match = pattern.exec(output())
    if (match !== null) return match
    if (Date.now() > deadline) throw new Error(`no match for ${String(pattern)} in output:\n${output()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

test.each([
  ['e4', '0.14.0'],
  ['e3', '0.12.7']
])('cli serves version for %s', async (era, version) => {
  const cli = startCli(['--port', '0', '--era', era, '--fault', 'default-2:down'])
  child = cli.child

  const match = await waitForOutput(cli.output, /core: +(http:\/\/127\.0\.0\.1:\d+\/core\/)/)
  expect(cli.output()).toContain('username: health-check')
  const response = await fetch(match[1] ?? '')
  const body = (await response.json()) as { version: string; timestamp: number }
  expect(response.status).toBe(200)
  expect(body.version).toBe(version)
  expect(typeof body.timestamp).toBe('number')

  child.kill('SIGTERM')
  expect(await cli.exit).toBe(0)
})

test('cli rejects bad arguments with exit 2', async () => {
  const cases: Array<[string[], string]> = [
    [['--bogus'], 'Unknown option'],
    [['--scenario', 'nope'], 'Unknown scenario "nope"'],
    [['--era', 'e5'], 'Invalid value "e5" for --era'],
    [['--fault', 'default-2:explode'], 'Invalid fault "default-2:explode"'],
    [['--time-scale', 'fast'], 'Invalid value "fast" for --time-scale']
  ]
  // The cases run at once because each start of tsx takes about a second.
  const runs = cases.map(([args]) => startCli(args))
  const codes = await Promise.all(runs.map((run) => run.exit))

  cases.forEach(([args, message], index) => {
    expect({ args, code: codes[index] }).toEqual({ args, code: 2 })
    expect(runs[index]?.output()).toContain(message)
  })
})

test('cli help lists scenarios and faults', async () => {
  const cli = startCli(['--help'])
  child = cli.child
  expect(await cli.exit).toBe(0)
  expect(cli.output()).toContain('stalled-stream')
  expect(cli.output()).toContain('NODE:down')
})
