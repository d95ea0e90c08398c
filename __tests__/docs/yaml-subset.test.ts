import { describe, expect, it } from '@jest/globals'

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

import { MarkdownDocument } from './markdown.js'
import { parseYaml, type YamlValue } from './yaml-subset.js'

const root = join(import.meta.dirname, '..', '..')

describe('parseYaml', () => {
  const cases: [string, string, YamlValue][] = [
    ['empty document', '# only a comment\n', null],
    ['flat mapping', 'a: 1\nb: two words\n', { a: '1', b: 'two words' }],
    ['scalars stay strings', 'flag: true\nnumber: 0.50\nempty: ""\n', { flag: 'true', number: '0.50', empty: '' }],
    ['empty value is null', 'a:\nb: x\n', { a: null, b: 'x' }],
    ['nested mapping', 'a:\n  b:\n    c: d\n', { a: { b: { c: 'd' } } }],
    ['sequence under a key', 'a:\n  - x\n  - y\n', { a: ['x', 'y'] }],
    ['sequence at the key indentation', 'steps:\n- run: x\n- uses: y\n', { steps: [{ run: 'x' }, { uses: 'y' }] }],
    [
      'mapping items in a sequence',
      'steps:\n  - name: a\n    with:\n      k: v\n  - run: b\n',
      { steps: [{ name: 'a', with: { k: 'v' } }, { run: 'b' }] }
    ],
    ['nested sequence items', '- - a\n  - b\n- c\n', [['a', 'b'], 'c']],
    ['comments after values', 'a: x # note\nb: "y # kept" # note\n', { a: 'x', b: 'y # kept' }],
    ['hash without space stays', 'a: x#y\n', { a: 'x#y' }],
    ['single quotes', "a: 'it''s: fine'\n", { a: "it's: fine" }],
    ['double quote escapes', 'a: "tab\\tand \\"quote\\" \\u00e9"\n', { a: 'tab\tand "quote" é' }],
    ['quoted keys', '"on": push\n\'a b\': c\n', { on: 'push', 'a b': 'c' }],
    ['expression stays text', 'a: ${{ github.token }}\n', { a: '${{ github.token }}' }],
    ['url with colon', 'a: http://127.0.0.1:8799/core/\n', { a: 'http://127.0.0.1:8799/core/' }],
    ['plain multi-line scalar', 'a: one\n  two\n  three\nb: x\n', { a: 'one two three', b: 'x' }],
    ['quoted multi-line scalar', 'a: "one\n  two"\nb: x\n', { a: 'one two', b: 'x' }],
    ['literal block', 'a: |\n  line 1\n    indented\n\n  line 3\nb: x\n', { a: 'line 1\n  indented\n\nline 3\n', b: 'x' }],
    ['literal block strip', 'a: |-\n  x\n  y\n\nb: z\n', { a: 'x\ny', b: 'z' }],
    ['literal block keep', 'a: |+\n  x\n\nb: z\n', { a: 'x\n\n', b: 'z' }],
    ['folded block', 'a: >\n  one\n  two\n\n  three\n', { a: 'one two\nthree\n' }],
    ['folded block strip', 'a: >-\n  one\n  two\n', { a: 'one two' }],
    ['block with comment-like line', 'run: |\n  # not a comment\n  echo\n', { run: '# not a comment\necho\n' }],
    ['flow sequence', "a: [x, 'y, z', \"w\"]\n", { a: ['x', 'y, z', 'w'] }],
    ['flow mapping', 'a: {group: g, cancel-in-progress: false}\n', { a: { group: 'g', 'cancel-in-progress': 'false' } }],
    ['nested flow', 'a: {b: [1, 2], c: {}}\n', { a: { b: ['1', '2'], c: {} } }],
    ['document marker', '---\na: b\n', { a: 'b' }],
    ['windows line endings', 'a: b\r\nc: d\r\n', { a: 'b', c: 'd' }]
  ]

  it.each(cases)('reads %s', (_name, text, expected) => {
    expect(parseYaml(text)).toEqual(expected)
  })

  const errors: [string, string, RegExp][] = [
    ['tab indentation', 'a:\n\tb: c\n', /line 2: tabs are not allowed/],
    ['anchor', 'a: &x b\n', /line 1: anchors, aliases and tags are not supported/],
    ['alias', 'a: *x\n', /line 1: anchors, aliases and tags/],
    ['duplicate key', 'a: 1\na: 2\n', /line 2: duplicate key "a"/],
    ['colon in plain scalar', 'a: x: y\n', /line 1: a plain scalar cannot contain ": "/],
    ['unterminated quote', 'a: "x\n', /line 1: unterminated " quoted scalar/],
    ['text after quote', "a: 'x' y\n", /line 1: unexpected text after the quoted scalar/],
    ['bad indentation', 'a: b\n  c: d\n', /line 2: a plain scalar cannot contain/],
    ['deeper key after block', 'a:\n  b: c\n    d: e\n', /line 3: a plain scalar cannot contain/],
    ['stray line', 'a:\n    b: c\n  d: e\n', /line 3: unexpected indentation 2/],
    ['second document', 'a: b\n---\nc: d\n', /line 2: multi-document streams are not supported/],
    ['unclosed flow', 'a: [x, y\n', /line 1: missing "]"/],
    ['not a mapping line', 'just text\n', /line 1: expected "key: value"/]
  ]

  it.each(errors)('rejects %s', (_name, text, message) => {
    expect(() => parseYaml(text, 'test.yml')).toThrow(message)
  })

  it('names the source in errors', () => {
    expect(() => parseYaml('a: *x\n', 'action.yml')).toThrow(/^action\.yml, line 1: /)
  })
})

// js-yaml 3 comes with jest's coverage tooling (babel-plugin-istanbul), so it is installed by
// `npm ci` although this project does not depend on it. Its failsafe schema keeps every scalar a
// string, which is the view parseYaml gives, so both must read every YAML file of the repository
// the same way.
describe('parseYaml against js-yaml', () => {
  const require = createRequire(import.meta.url)

  function loadWithJsYaml(text: string): unknown {
    let jsYaml: { load(text: string, options: { schema: unknown }): unknown; FAILSAFE_SCHEMA: unknown }
    try {
      jsYaml = require('js-yaml') as typeof jsYaml
    } catch (error) {
      throw new Error(
        `js-yaml, used here only to cross-check the YAML reader, is not installed (${String(error)}). ` +
          'Run npm ci; if jest no longer brings it in, drop this cross-check.'
      )
    }
    return jsYaml.load(text, { schema: jsYaml.FAILSAFE_SCHEMA }) ?? null
  }

  const files = [
    'action.yml',
    ...listYaml('.github'),
    ...listYaml('.github/workflows'),
    ...listYaml('examples')
  ].filter((file) => existsSync(join(root, file)))

  it('finds the repository YAML files', () => {
    expect(files).toEqual(expect.arrayContaining(['.github/workflows/ci.yml', 'examples/health-check.yml']))
  })

  it.each(files)('reads %s like js-yaml', (file) => {
    const text = readFileSync(join(root, file), 'utf8')
    expect(parseYaml(text, file)).toEqual(loadWithJsYaml(text))
  })

  it('reads the README YAML blocks like js-yaml', () => {
    const readme = join(root, 'README.md')
    if (!existsSync(readme)) throw new Error('README.md is missing at the repository root')
    const blocks = new MarkdownDocument(readFileSync(readme, 'utf8'), 'README.md').codeBlocks
    for (const block of blocks.filter((candidate) => /^ya?ml$/.test(candidate.language))) {
      expect(parseYaml(block.text, `README.md, block at line ${block.line + 1}`)).toEqual(loadWithJsYaml(block.text))
    }
  })
})

function listYaml(directory: string): string[] {
  const path = join(root, directory)
  if (!existsSync(path)) return []
  return readdirSync(path)
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => `${directory}/${name}`)
}
