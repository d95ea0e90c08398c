// Command line for the Hub simulator: `npm run simulator -- --port 8799 --era e4 [options]`.
// Runs until SIGINT or SIGTERM, then stops the server and every python run it started.

import { parseArgs } from 'node:util'

import { faultUsage, parseFault, scenarios, startHubSimulator, type FaultSpec } from './hub/index.js'

const USAGE_ERROR = 2

function helpText(): string {
  const scenarioLines = Object.entries(scenarios).map(([name, scenario]) => `  ${name.padEnd(22)} ${scenario.description}`)
  return [
    'Usage: npm run simulator -- [options]',
    '',
    'Starts a local FLAME Hub (auth, core and storage under one port on 127.0.0.1) and prints its URLs.',
    '',
    'Options:',
    '  --port N               port on 127.0.0.1 (default 8799; 0 picks a free port)',
    '  --era e3|e4            wire format: e3 = Hub 0.12.7 (snake_case), e4 = Hub 0.14.0 (camelCase, envelopes); default e4',
    '  --scenario NAME        named scenario (default healthy; list below)',
    '  --time-scale F         multiply every simulated delay by F (default 1, about 85 s per pair round)',
    '  --nodes N              add N default nodes default-3 … default-(2+N)',
    '  --username U           user name of the one account (default health-check)',
    '  --password P           its password (default health-check-password)',
    '  --token-lifetime S     access-token lifetime in seconds (default 900)',
    '  --rate-limit N         requests per user per minute before 429 (default 6000; 0 disables)',
    '  --latency MS           add MS real milliseconds to every request (default 0)',
    '  --fault SPEC           add one fault knob; repeat for more (syntax below)',
    '  --verbose              log every request (method, path, status, ms)',
    '  --help                 show this text',
    '',
    'Scenarios:',
    ...scenarioLines,
    '',
    'Faults (NODE is a node name such as default-2):',
    ...faultUsage().map((line) => `  ${line}`)
  ].join('\n')
}

function fail(message: string): never {
  process.stderr.write(`${message}\nRun with --help to list the options.\n`)
  process.exit(USAGE_ERROR)
}

function numberOption(name: string, raw: string | undefined, fallback: number, minimum: number): number {
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (raw.trim() === '' || !Number.isFinite(value) || value < minimum) {
    fail(`Invalid value "${raw}" for --${name}: expected a number of at least ${minimum}.`)
  }
  return value
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse()
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error))
  }
  const values = parsed.values

  if (values.help === true) {
    process.stdout.write(`${helpText()}\n`)
    return
  }

  const era = values.era ?? 'e4'
  if (era !== 'e3' && era !== 'e4') fail(`Invalid value "${era}" for --era: expected e3 or e4.`)
  const scenario = values.scenario ?? 'healthy'
  if (scenarios[scenario] === undefined) fail(`Unknown scenario "${scenario}". Use one of: ${Object.keys(scenarios).join(', ')}.`)

  const faults: FaultSpec = {}
  for (const spec of values.fault ?? []) {
    try {
      parseFault(spec, faults)
    } catch (error) {
      fail(error instanceof Error ? error.message : String(error))
    }
  }

  const port = numberOption('port', values.port, 8799, 0)
  const sim = await startHubSimulator({
    era,
    port,
    scenario,
    faults,
    timeScale: numberOption('time-scale', values['time-scale'], 1, Number.MIN_VALUE),
    extraNodes: numberOption('nodes', values.nodes, 0, 0),
    username: values.username,
    password: values.password,
    tokenLifetimeSeconds: values['token-lifetime'] === undefined ? undefined : numberOption('token-lifetime', values['token-lifetime'], 900, 1),
    rateLimitPerMinute: numberOption('rate-limit', values['rate-limit'], 6000, 0),
    latencyMs: numberOption('latency', values.latency, 0, 0),
    log: values.verbose === true ? (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`) : undefined
  })

  process.stdout.write(
    [
      `FLAME Hub simulator (era ${sim.era}, scenario ${sim.scenario}) listening on ${sim.url}`,
      `auth:     ${sim.authUrl}`,
      `core:     ${sim.coreUrl}`,
      `storage:  ${sim.storageUrl}`,
      `username: ${sim.username}`,
      `password: ${sim.password}`,
      'Stop with Ctrl+C.'
    ].join('\n') + '\n'
  )

  const shutdown = (signal: string): void => {
    process.stdout.write(`Received ${signal}, stopping the simulator.\n`)
    sim.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Stopping the simulator failed: ${String(error)}\n`)
        process.exit(1)
      }
    )
  }
  process.once('SIGINT', () => shutdown('SIGINT'))
  process.once('SIGTERM', () => shutdown('SIGTERM'))
}

function parse() {
  return parseArgs({
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      era: { type: 'string' },
      scenario: { type: 'string' },
      'time-scale': { type: 'string' },
      nodes: { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      'token-lifetime': { type: 'string' },
      'rate-limit': { type: 'string' },
      latency: { type: 'string' },
      fault: { type: 'string', multiple: true },
      verbose: { type: 'boolean' },
      help: { type: 'boolean' }
    }
  })
}

main().catch((error: unknown) => {
  process.stderr.write(`The simulator failed to start: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
