// Keeps the README, the example workflows and the CI workflows in step with action.yml and
// package.json.
//
// README tables: under a heading "Inputs" (and "Outputs") the first table whose first column is
// "Input" ("Output") lists one name per row in a code span. In the "Default" column a code span
// contains the exact default of action.yml. A cell without a code span (empty, "—", or words such
// as "the workflow's branch") documents an input whose action.yml default is empty or absent and
// is worked out at run time.

import { describe, expect, it } from '@jest/globals'

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

import { readActionMetadata } from './action-metadata.js'
import { firstCodeSpan, MarkdownDocument, type Table } from './markdown.js'
import { actionSteps, effectivePermission, readWorkflow, runScripts, type Workflow } from './workflows.js'
import { parseYaml } from './yaml-subset.js'

const root = join(import.meta.dirname, '..', '..')

const action = readActionMetadata(join(root, 'action.yml'))
const readme = readMarkdown('README.md')
const packageScripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
  .scripts

const inputNames = [...action.inputs.keys()]
const outputNames = [...action.outputs.keys()]

describe('README inputs table', () => {
  const table = referenceTable(readme, 'Inputs', 'Input')
  const rows = rowsByName(table)
  const defaultColumn = columnIndex(table, /^default$/i)

  it('lists every action.yml input', () => {
    expect(inputNames.filter((name) => !rows.has(name))).toEqual([])
  })

  it('lists only action.yml inputs', () => {
    expect([...rows.keys()].filter((name) => !action.inputs.has(name))).toEqual([])
  })

  it('has one row per input', () => {
    expect(table.rows.length).toBe(rows.size)
  })

  it('has a Default column', () => {
    expect(defaultColumn).toBeGreaterThan(0)
  })

  it.each(inputNames)('shows the action.yml default of %s', (name) => {
    const row = rows.get(name)
    if (!row) throw new Error(`README inputs table has no row for '${name}'`)

    const expected = action.inputs.get(name)!.default || undefined
    const documented = firstCodeSpan(row[defaultColumn] ?? '')
    expect({ input: name, default: documented }).toEqual({ input: name, default: expected })
  })

  it('lists the inputs in action.yml order', () => {
    const documented = [...rows.keys()].filter((name) => action.inputs.has(name))
    expect(documented).toEqual(inputNames.filter((name) => rows.has(name)))
  })
})

describe('README outputs table', () => {
  const table = referenceTable(readme, 'Outputs', 'Output')
  const rows = rowsByName(table)

  it('lists every action.yml output', () => {
    expect(outputNames.filter((name) => !rows.has(name))).toEqual([])
  })

  it('lists only action.yml outputs', () => {
    expect([...rows.keys()].filter((name) => !action.outputs.has(name))).toEqual([])
  })

  it('has one row per output', () => {
    expect(table.rows.length).toBe(rows.size)
  })
})

describe('README commands', () => {
  const commands = newcomerCommands(readme)
  const ciScripts = [...workflowFiles('.github/workflows').flatMap((workflow) => runScripts(workflow)), readText('.ci/run')]

  it('keeps the two set-up commands', () => {
    const lines = readme.codeBlocks.flatMap((block) => block.text.split('\n').map((line) => line.trim()))
    expect(lines).toContain('npm ci && npm run demo')
    expect(lines).toContain('npm test')
  })

  it.each(commands.filter((command) => command.startsWith('npm ')))('%s is an npm built-in or script', (command) => {
    expectScriptDefined(command)
  })

  it.each(commands)('%s is run by CI', (command) => {
    const needle = ciNeedle(command)
    const runBy = ciScripts.filter((script) => containsCommand(script, needle))
    expect({ command, runByCi: runBy.length > 0 }).toEqual({ command, runByCi: true })
  })

  it('points local-action at a module that exports run()', () => {
    const localAction = commands.find((command) => command.startsWith('npx @github/local-action'))
    if (!localAction) throw new Error('README does not show how to rehearse with npx @github/local-action')
    const entry = localAction.split(/\s+/).find((part) => /^src\/.+\.ts$/.test(part))
    if (!entry) throw new Error(`No src/*.ts entry point in '${localAction}'`)
    expect(readText(entry)).toMatch(/export async function run\(/)
  })
})

describe('CONTRIBUTING', () => {
  const contributing = readMarkdown('CONTRIBUTING.md')
  const commands = newcomerCommands(contributing).filter((command) => command.startsWith('npm '))

  it.each(commands)('%s is an npm built-in or script', (command) => {
    expectScriptDefined(command)
  })

  it('names only paths that exist', () => {
    // A code span is taken as a path when its first segment is a top-level folder of the repository,
    // which leaves out API routes such as `git/refs` and branch names such as `releases/v1`.
    const topLevelFolders = new Set(
      readdirSync(root, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== '.git')
        .map((entry) => entry.name)
    )
    const spans = contributing.inlineCode().map((span) => span.code)
    const paths = spans.filter((code) => /^[\w.-]+\/[\w./-]*$/.test(code) && topLevelFolders.has(code.split('/')[0]!))
    expect(paths.length).toBeGreaterThan(5)
    expect(paths.filter((path) => !existsSync(join(root, path)))).toEqual([])
  })

  it('lays out only folders and files that exist', () => {
    const layout = contributing.section(/^Layout of the code$/i)
    if (!layout) throw new Error('CONTRIBUTING.md has no heading "Layout of the code"')
    const block = contributing.codeBlocks.find((candidate) => candidate.line > layout.start && candidate.line < layout.end)
    if (!block) throw new Error('CONTRIBUTING.md: no code block under "Layout of the code"')

    const listed = layoutPaths(block.text)
    expect(listed).toEqual(expect.arrayContaining(['src/', 'src/hub/', 'simulator/hub/', 'action.yml']))
    expect(listed.filter((path) => !existsSync(join(root, path)))).toEqual([])
  })

  it('lays out every top-level folder of src/ and simulator/', () => {
    const layout = contributing.section(/^Layout of the code$/i)!
    const block = contributing.codeBlocks.find((candidate) => candidate.line > layout.start && candidate.line < layout.end)!
    const listed = new Set(layoutPaths(block.text))
    const folders = ['src', 'simulator'].flatMap((parent) =>
      readdirSync(join(root, parent), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => `${parent}/${entry.name}/`)
    )
    expect(folders.filter((folder) => !listed.has(folder))).toEqual([])
  })
})

describe('workflows that use the action', () => {
  const workflows = [
    ...workflowFiles('examples'),
    ...workflowFiles('.github/workflows'),
    ...readme.codeBlocks
      .filter((block) => /^ya?ml$/.test(block.language) && /^jobs:/m.test(block.text))
      .map((block) => {
        const source = `README.md, YAML block at line ${block.line + 1}`
        return readWorkflow(parseYaml(block.text, source), source)
      })
  ]
  const withSteps = workflows.filter((workflow) => actionSteps(workflow).length > 0)

  it('include the examples, the self-test and the README', () => {
    const sources = withSteps.map((workflow) => workflow.source)
    expect(sources).toEqual(
      expect.arrayContaining([
        'examples/health-check.yml',
        'examples/data-branch.yml',
        'examples/outputs.yml',
        '.github/workflows/test-action.yml'
      ])
    )
    expect(sources.some((source) => source.startsWith('README.md'))).toBe(true)
  })

  it.each(withSteps.map((workflow) => [workflow.source, workflow] as const))(
    '%s passes only action.yml inputs',
    (_source, workflow) => {
      for (const step of actionSteps(workflow)) {
        const unknown = Object.keys(step.with).filter((name) => !action.inputs.has(name))
        expect({ job: step.job, unknownInputs: unknown }).toEqual({ job: step.job, unknownInputs: [] })
      }
    }
  )

  it.each(withSteps.map((workflow) => [workflow.source, workflow] as const))(
    '%s passes every required input',
    (_source, workflow) => {
      const required = inputNames.filter((name) => {
        const input = action.inputs.get(name)!
        return input.required === 'true' && !input.default
      })
      for (const step of actionSteps(workflow)) {
        const missing = required.filter((name) => !Object.hasOwn(step.with, name))
        expect({ job: step.job, missingInputs: missing }).toEqual({ job: step.job, missingInputs: [] })
      }
    }
  )

  it.each(withSteps.map((workflow) => [workflow.source, workflow] as const))(
    '%s reads only action.yml outputs',
    (source, workflow) => {
      const text = source.startsWith('README.md') ? readme.lines.join('\n') : readText(source)
      const actionIds = new Set(actionSteps(workflow).flatMap((step) => (step.id ? [step.id] : [])))
      const unknown = [...text.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)]
        .filter(([, id, name]) => actionIds.has(id!) && !action.outputs.has(name!))
        .map(([reference]) => reference)
      expect(unknown).toEqual([])
    }
  )

  it.each(withSteps.map((workflow) => [workflow.source, workflow] as const))(
    '%s reads only declared job outputs',
    (source, workflow) => {
      const text = source.startsWith('README.md') ? readme.lines.join('\n') : readText(source)
      const jobs = new Map(workflow.jobs.map((job) => [job.name, job]))
      const unknown = [...text.matchAll(/needs\.([\w-]+)\.outputs\.([\w-]+)/g)]
        .filter(([, job, name]) => !jobs.has(job!) || !Object.hasOwn(jobs.get(job!)!.outputs, name!))
        .map(([reference]) => reference)
      expect(unknown).toEqual([])
    }
  )

  it.each(withSteps.map((workflow) => [workflow.source, workflow] as const))(
    '%s grants contents: write where the action commits',
    (_source, workflow) => {
      for (const step of actionSteps(workflow)) {
        if (step.with.commit === 'false') continue
        const job = workflow.jobs.find((candidate) => candidate.name === step.job)!
        const permission = effectivePermission(workflow, job, 'contents')
        expect({ job: step.job, contents: permission }).toEqual({ job: step.job, contents: 'write' })
      }
    }
  )

  it('show consumers the published major version', () => {
    for (const workflow of withSteps.filter((candidate) => candidate.source.startsWith('examples/'))) {
      for (const step of actionSteps(workflow)) {
        expect({ source: workflow.source, uses: step.uses }).toEqual({
          source: workflow.source,
          uses: 'privateaim/flame-status-action@v1'
        })
      }
    }
  })
})

describe('action.yml Marketplace metadata', () => {
  // Icons GitHub's metadata syntax does not accept although Feather 4.28.0 has them: brand icons
  // and a few others.
  const excludedIcons = new Set([
    'chrome', 'codepen', 'codesandbox', 'dribbble', 'facebook', 'figma', 'framer', 'github', 'gitlab',
    'instagram', 'linkedin', 'pocket', 'slack', 'trello', 'twitch', 'twitter', 'youtube',
    'coffee', 'columns', 'divide', 'divide-circle', 'divide-square', 'frown', 'hexagon', 'key', 'meh',
    'mouse-pointer', 'smile', 'tool', 'x-octagon'
  ])
  const colors = ['white', 'black', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark']

  it('has a name, a one-line description and an author', () => {
    expect(action.name).toBeTruthy()
    expect(action.description).toBeTruthy()
    expect(action.description).not.toContain('\n')
    expect(action.author).toBeTruthy()
  })

  it('has a usable branding icon', () => {
    expect(action.branding.icon).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/)
    expect(excludedIcons.has(action.branding.icon!)).toBe(false)
  })

  it('has a branding color GitHub accepts', () => {
    expect(colors).toContain(action.branding.color)
  })

  it('runs dist/index.js on node24', () => {
    expect(action.runs.using).toBe('node24')
    expect(action.runs.main).toBe('dist/index.js')
  })

  it.each(inputNames)('input %s has a kebab-case name and a one-line description', (name) => {
    const input = action.inputs.get(name)!
    expect(name).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/)
    expect(input.description).toBeTruthy()
    expect(input.description).not.toContain('\n')
    if (input.required !== undefined) expect(['true', 'false']).toContain(input.required)
  })

  it.each(outputNames)('output %s has a one-line description', (name) => {
    const output = action.outputs.get(name)!
    expect(output.description).toBeTruthy()
    expect(output.description).not.toContain('\n')
  })
})

function readText(path: string): string {
  const full = join(root, path)
  if (!existsSync(full)) throw new Error(`${path} is missing at the repository root`)
  return readFileSync(full, 'utf8')
}

function readMarkdown(path: string): MarkdownDocument {
  return new MarkdownDocument(readText(path), path)
}

function workflowFiles(directory: string): Workflow[] {
  return readdirSync(join(root, directory))
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => `${directory}/${name}`)
    .map((source) => readWorkflow(parseYaml(readText(source), source), source))
}

/** Find the first table under the heading `title` whose first column is `firstColumn`. */
function referenceTable(document: MarkdownDocument, title: string, firstColumn: string): Table {
  const section = document.section(new RegExp(`^${title}$`, 'i'))
  if (!section) throw new Error(`${document.source} has no heading "${title}"`)
  const table = document
    .tables(section.start, section.end)
    .find((candidate) => candidate.header[0]?.toLowerCase() === firstColumn.toLowerCase())
  if (!table) {
    throw new Error(`${document.source}: no table with a first column "${firstColumn}" under the heading "${title}"`)
  }
  return table
}

/** Key the table rows by the name in their first cell (its code span, or the plain text). */
function rowsByName(table: Table): Map<string, string[]> {
  const rows = new Map<string, string[]>()
  for (const row of table.rows) rows.set(firstCodeSpan(row[0] ?? '') ?? row[0] ?? '', row)
  return rows
}

function columnIndex(table: Table, header: RegExp): number {
  return table.header.findIndex((cell) => header.test(cell))
}

/**
 * Collect the shell commands a document gives a reader to run: lines of shell code blocks and inline code
 * spans that start with npm or npx, split at "&&" and ";".
 */
function newcomerCommands(document: MarkdownDocument): string[] {
  const shellBlocks = document.codeBlocks.filter((block) => ['', 'sh', 'bash', 'shell', 'console'].includes(block.language))
  const lines = [
    ...shellBlocks.flatMap((block) => block.text.split('\n')),
    ...document.inlineCode().map((span) => span.code)
  ]
  const commands = lines
    .map((line) => line.trim().replace(/^\$\s+/, '').replace(/\s+#.*$/, ''))
    .flatMap((line) => line.split(/&&|;/))
    .map((command) => command.trim().replace(/\s+/g, ' '))
    .filter((command) => /^(npm|npx) /.test(command))
  return [...new Set(commands)]
}

/** Check that an npm command runs a package.json script whose tsx entry file exists, or a built-in. */
function expectScriptDefined(command: string): void {
  const script = npmScriptOf(command)
  if (script === null) return
  expect({ command, script, defined: Object.hasOwn(packageScripts, script) }).toEqual({ command, script, defined: true })

  const entry = /^tsx (\S+)/.exec(packageScripts[script] ?? '')?.[1]
  if (entry) expect({ command, entry, exists: existsSync(join(root, entry)) }).toEqual({ command, entry, exists: true })
}

/**
 * Read the paths of a layout block: a name at the start of a line is a top-level entry, and an
 * indented name whose line starts a new entry belongs to the last top-level folder. Lines that
 * continue a description are indented further than the descriptions start and are skipped.
 */
function layoutPaths(text: string): string[] {
  const paths: string[] = []
  let parent = ''
  for (const line of text.split('\n')) {
    const match = /^( *)(\S+)/.exec(line)
    if (!match) continue
    const [, indent, name] = match
    if (indent!.length === 0) {
      parent = name!.endsWith('/') ? name! : ''
      paths.push(name!)
    } else if (indent!.length === 2 && parent !== '') {
      paths.push(parent + name!)
    }
  }
  return paths
}

/** Return the package.json script an npm command runs, or null for an npm built-in such as `npm ci`. */
function npmScriptOf(command: string): string | null {
  const [, verb, argument] = command.split(' ')
  if (verb === 'ci' || verb === 'install' || verb === 'i' || verb === 'version') return null
  if (verb === 'test' || verb === 't') return 'test'
  if (verb === 'start' || verb === 'stop' || verb === 'restart') return verb
  if (verb === 'run' || verb === 'run-script') return argument ?? ''
  throw new Error(`README command '${command}' is not an npm built-in this test knows, nor "npm run <script>"`)
}

/** Return the text a CI script must contain to count as running `command`: the npm script or the npx package. */
function ciNeedle(command: string): string {
  if (command.startsWith('npx ')) return command.split(' ').slice(0, 2).join(' ')
  const script = npmScriptOf(command)
  if (script === null) return command.split(' ').slice(0, 2).join(' ')
  return script === 'test' ? 'npm test' : `npm run ${script}`
}

function containsCommand(script: string, needle: string): boolean {
  const escaped = needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`(^|[\\s;&|(])${escaped}(?=$|[\\s;&|)])`, 'm').test(script)
}
