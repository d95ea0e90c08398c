// A small YAML reader for the files the documentation tests check: action.yml, workflow files and
// the YAML blocks of the README. It reads block mappings and sequences, plain and quoted scalars,
// literal and folded block scalars, single-line flow collections and comments. Like YAML's
// failsafe schema it keeps every scalar a string (`true`, `0.5` and `''` stay text) and an empty
// value is null, so defaults compare as the text written in the file. Anchors, aliases, tags and
// multi-document streams raise an error naming the line.

export type YamlValue = string | null | YamlValue[] | YamlMapping
export interface YamlMapping {
  [key: string]: YamlValue
}

/** Parse one YAML document; `source` names the file in error messages. */
export function parseYaml(text: string, source = 'YAML input'): YamlValue {
  return new YamlReader(text, source).readDocument()
}

/** Narrow a parsed value to a mapping, or raise an error naming `what`. */
export function asMapping(value: YamlValue | undefined, what: string): YamlMapping {
  if (value === null || value === undefined || typeof value === 'string' || Array.isArray(value)) {
    throw new Error(`${what} is not a mapping (got ${JSON.stringify(value)})`)
  }
  return value
}

/** Narrow a parsed value to a sequence, or raise an error naming `what`. */
export function asSequence(value: YamlValue | undefined, what: string): YamlValue[] {
  if (!Array.isArray(value)) throw new Error(`${what} is not a sequence (got ${JSON.stringify(value)})`)
  return value
}

interface ContentLine {
  index: number
  indent: number
  text: string
}

const KEY_PATTERN = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"[\]{},&*!|>%@`-][^#]*?|-[^\s#][^#]*?)\s*:(?:\s+|$)/

class YamlReader {
  private readonly lines: string[]
  private position = 0

  constructor(
    text: string,
    private readonly source: string
  ) {
    this.lines = text.replace(/\r\n?/g, '\n').split('\n')
  }

  readDocument(): YamlValue {
    let first = this.peekContent()
    if (first && first.indent === 0 && first.text === '---') {
      this.position = first.index + 1
      first = this.peekContent()
    }
    if (!first) return null

    const value = this.readBlock(first.indent)

    const rest = this.peekContent()
    if (rest) {
      this.fail(rest.index, `unexpected indentation ${rest.indent} (expected a key at indentation ${first.indent})`)
    }
    return value
  }

  /** Return the next line with content (not blank, not only a comment) without consuming it. */
  private peekContent(): ContentLine | undefined {
    for (let index = this.position; index < this.lines.length; index++) {
      const line = this.lines[index]!
      const text = line.trim()
      if (text === '' || text.startsWith('#')) continue
      const indent = line.length - line.trimStart().length
      if (line.slice(0, indent).includes('\t')) this.fail(index, 'tabs are not allowed in indentation')
      return { index, indent, text }
    }
    return undefined
  }

  private readBlock(indent: number): YamlValue {
    const line = this.peekContent()!
    return isSequenceItem(line.text) ? this.readSequence(indent) : this.readMapping(indent)
  }

  private readMapping(indent: number): YamlMapping {
    const mapping: YamlMapping = {}

    for (let line = this.peekContent(); line && line.indent === indent; line = this.peekContent()) {
      if (isSequenceItem(line.text)) break
      if (line.text === '---' || line.text === '...') this.fail(line.index, 'multi-document streams are not supported')
      const match = KEY_PATTERN.exec(line.text)
      if (!match) this.fail(line.index, `expected "key: value", got ${JSON.stringify(line.text)}`)

      const key = unquoteKey(match[1]!)
      if (Object.hasOwn(mapping, key)) this.fail(line.index, `duplicate key ${JSON.stringify(key)}`)

      this.position = line.index + 1
      mapping[key] = this.readValue(line.text.slice(match[0].length), indent, line.index)
    }

    const next = this.peekContent()
    if (next && next.indent > indent) this.fail(next.index, `unexpected indentation ${next.indent}`)
    return mapping
  }

  private readSequence(indent: number): YamlValue[] {
    const items: YamlValue[] = []

    for (let line = this.peekContent(); line && line.indent === indent; line = this.peekContent()) {
      if (!isSequenceItem(line.text)) break
      const after = line.text.slice(1).trimStart()

      if (after === '' || after.startsWith('#')) {
        this.position = line.index + 1
        items.push(this.readNested(indent, false))
        continue
      }

      // "- key: value" and "- - item" open a block at the column after the dash, so the line is
      // rewritten with the dash blanked and read again as the first line of that block.
      const column = indent + (line.text.length - after.length)
      if (KEY_PATTERN.test(after) || isSequenceItem(after)) {
        this.lines[line.index] = ' '.repeat(column) + after
        this.position = line.index
        items.push(this.readBlock(column))
        continue
      }

      this.position = line.index + 1
      items.push(this.readValue(after, indent, line.index))
    }

    const next = this.peekContent()
    if (next && next.indent > indent) this.fail(next.index, `unexpected indentation ${next.indent}`)
    return items
  }

  /** Read the block under a key or dash with nothing after it; null when there is none. */
  private readNested(parentIndent: number, allowSameIndentSequence: boolean): YamlValue {
    const child = this.peekContent()
    if (!child) return null
    if (child.indent > parentIndent) return this.readBlock(child.indent)
    // A mapping may contain a sequence at its own indentation ("steps:\n- run: x").
    if (allowSameIndentSequence && child.indent === parentIndent && isSequenceItem(child.text)) {
      return this.readSequence(child.indent)
    }
    return null
  }

  /** Read the value after "key:" or "- " on line `lineIndex`, whose indentation is `parentIndent`. */
  private readValue(rest: string, parentIndent: number, lineIndex: number): YamlValue {
    const value = rest.trim()
    if (value === '' || value.startsWith('#')) return this.readNested(parentIndent, true)

    const first = value[0]!
    if (first === '|' || first === '>') return this.readBlockScalar(value, parentIndent, lineIndex)
    if (first === '[' || first === '{') return this.readFlow(value, lineIndex)
    if (first === '&' || first === '*' || first === '!') {
      this.fail(lineIndex, 'anchors, aliases and tags are not supported')
    }
    if (first === '"' || first === "'") return this.readQuoted(value, parentIndent, lineIndex)
    return this.readPlain(value, parentIndent, lineIndex)
  }

  private readPlain(value: string, parentIndent: number, lineIndex: number): string {
    const parts = [this.plainPart(value, lineIndex)]

    // A plain scalar continues on more-indented lines; the line breaks fold into spaces.
    for (let line = this.peekContent(); line && line.indent > parentIndent; line = this.peekContent()) {
      parts.push(this.plainPart(line.text, line.index))
      this.position = line.index + 1
    }
    return parts.join(' ')
  }

  /** Return one line of a plain scalar without its comment. YAML does not allow ": " inside a plain scalar, so this raises. */
  private plainPart(text: string, lineIndex: number): string {
    const part = stripComment(text)
    if (/:(\s|$)/.test(part)) {
      this.fail(lineIndex, `a plain scalar cannot contain ": " (quote the value): ${JSON.stringify(part)}`)
    }
    return part
  }

  private readQuoted(value: string, parentIndent: number, lineIndex: number): string {
    let text = value
    let lastIndex = lineIndex
    const quote = value[0]!

    // A quoted scalar may run over several lines; keep reading until its closing quote.
    while (findClosingQuote(text, quote) < 0) {
      const next = this.lines[lastIndex + 1]
      if (next === undefined) this.fail(lineIndex, `unterminated ${quote} quoted scalar`)
      lastIndex++
      const trimmed = next.trim()
      text += trimmed === '' ? '\n' : (text.endsWith('\n') ? '' : ' ') + trimmed
    }
    if (lastIndex > lineIndex) this.position = lastIndex + 1

    const end = findClosingQuote(text, quote)
    const trailing = text.slice(end + 1).trim()
    if (trailing !== '' && !trailing.startsWith('#')) {
      this.fail(lastIndex, `unexpected text after the quoted scalar: ${JSON.stringify(trailing)}`)
    }

    const body = text.slice(1, end)
    return quote === "'" ? body.replace(/''/g, "'") : unescapeDoubleQuoted(body, this.source, lineIndex + 1)
  }

  private readBlockScalar(header: string, parentIndent: number, lineIndex: number): string {
    const match = /^([|>])([+-]?)(\d?)([+-]?)\s*(#.*)?$/.exec(header)
    if (!match) this.fail(lineIndex, `invalid block scalar header ${JSON.stringify(header)}`)
    const folded = match[1] === '>'
    const chomping = match[2] || match[4]
    const explicitIndent = match[3] ? parentIndent + Number(match[3]) : undefined

    // Collect the raw lines: blank ones, and those indented deeper than the parent.
    const raw: string[] = []
    let index = lineIndex + 1
    let contentIndent = explicitIndent
    for (; index < this.lines.length; index++) {
      const line = this.lines[index]!
      if (line.trim() === '') {
        raw.push('')
        continue
      }
      const indent = line.length - line.trimStart().length
      if (contentIndent === undefined) contentIndent = indent
      if (indent < contentIndent || indent <= parentIndent) break
      raw.push(line.slice(contentIndent))
    }

    // Trailing blank lines belong to the scalar only for chomping "+"; leave them unread otherwise.
    let trailingBlank = 0
    while (raw.length > 0 && raw[raw.length - 1] === '') {
      raw.pop()
      trailingBlank++
    }
    this.position = index - (chomping === '+' ? 0 : trailingBlank)

    const body = folded ? foldLines(raw) : raw.join('\n')
    if (raw.length === 0) return ''
    if (chomping === '-') return body
    if (chomping === '+') return body + '\n'.repeat(trailingBlank + 1)
    return body + '\n'
  }

  private readFlow(value: string, lineIndex: number): YamlValue {
    const parser = new FlowParser(value, (message) => this.fail(lineIndex, message))
    const result = parser.readValue()
    parser.expectEnd()
    return result
  }

  private fail(lineIndex: number, message: string): never {
    throw new Error(`${this.source}, line ${lineIndex + 1}: ${message}`)
  }
}

/** Recursive descent over one line of flow syntax: `[a, 'b']`, `{key: value}`. */
class FlowParser {
  private position = 0

  constructor(
    private readonly text: string,
    private readonly fail: (message: string) => never
  ) {}

  readValue(): YamlValue {
    this.skipSpaces()
    const char = this.text[this.position]
    if (char === '[') return this.readSequence()
    if (char === '{') return this.readMapping()
    return this.readScalar()
  }

  expectEnd(): void {
    this.skipSpaces()
    const rest = this.text.slice(this.position)
    if (rest !== '' && !rest.startsWith('#')) this.fail(`unexpected text after a flow collection: ${JSON.stringify(rest)}`)
  }

  private readSequence(): YamlValue[] {
    const items: YamlValue[] = []
    this.position++
    for (;;) {
      this.skipSpaces()
      if (this.text[this.position] === ']') break
      items.push(this.readValue())
      this.skipSpaces()
      if (this.text[this.position] === ',') this.position++
      else if (this.text[this.position] !== ']') this.failUnclosed(']')
    }
    this.position++
    return items
  }

  private readMapping(): YamlMapping {
    const mapping: YamlMapping = {}
    this.position++
    for (;;) {
      this.skipSpaces()
      if (this.text[this.position] === '}') break
      const key = this.readScalar()
      if (key === null) this.fail('a flow mapping key is empty')
      this.skipSpaces()
      let value: YamlValue = null
      if (this.text[this.position] === ':') {
        this.position++
        value = this.readValue()
      }
      if (Object.hasOwn(mapping, key)) this.fail(`duplicate key ${JSON.stringify(key)}`)
      mapping[key] = value
      this.skipSpaces()
      if (this.text[this.position] === ',') this.position++
      else if (this.text[this.position] !== '}') this.failUnclosed('}')
    }
    this.position++
    return mapping
  }

  private readScalar(): string | null {
    this.skipSpaces()
    const quote = this.text[this.position]
    if (quote === '"' || quote === "'") {
      const rest = this.text.slice(this.position)
      const end = findClosingQuote(rest, quote)
      if (end < 0) this.fail(`unterminated ${quote} quoted scalar (multi-line flow collections are not supported)`)
      this.position += end + 1
      const body = rest.slice(1, end)
      return quote === "'" ? body.replace(/''/g, "'") : unescapeDoubleQuoted(body, 'flow scalar', 0)
    }

    // A plain scalar in flow context ends at a flow indicator or at ": ".
    const start = this.position
    while (this.position < this.text.length) {
      const char = this.text[this.position]!
      if (char === ',' || char === ']' || char === '}') break
      if (char === ':' && /[\s,\]}]|$/.test(this.text[this.position + 1] ?? '')) break
      if (char === '#' && /\s/.test(this.text[this.position - 1] ?? '')) break
      this.position++
    }
    const scalar = this.text.slice(start, this.position).trim()
    return scalar === '' ? null : scalar
  }

  private skipSpaces(): void {
    while (this.text[this.position] === ' ') this.position++
  }

  private failUnclosed(closing: string): never {
    if (this.position >= this.text.length) {
      this.fail(`missing "${closing}" (multi-line flow collections are not supported)`)
    }
    this.fail(`expected "," or "${closing}" at ${JSON.stringify(this.text.slice(this.position))}`)
  }
}

function isSequenceItem(text: string): boolean {
  return text === '-' || text.startsWith('- ')
}

function unquoteKey(key: string): string {
  if (key.startsWith("'")) return key.slice(1, -1).replace(/''/g, "'")
  if (key.startsWith('"')) return unescapeDoubleQuoted(key.slice(1, -1), 'key', 0)
  return key.trim()
}

/** Cut a trailing comment off a plain scalar: "#" starts one only after whitespace. */
function stripComment(text: string): string {
  const match = /\s#/.exec(text)
  return (match ? text.slice(0, match.index) : text).trim()
}

/** Find the index of the quote that closes the scalar opening at text[0], or -1. */
function findClosingQuote(text: string, quote: string): number {
  for (let index = 1; index < text.length; index++) {
    const char = text[index]
    if (quote === '"' && char === '\\') {
      index++
    } else if (char === quote) {
      if (quote === "'" && text[index + 1] === "'") index++
      else return index
    }
  }
  return -1
}

const DOUBLE_QUOTED_ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\'
}

function unescapeDoubleQuoted(body: string, source: string, line: number): string {
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (escape, code: string) => {
    if (code.length > 1) return String.fromCodePoint(parseInt(code.slice(1), 16))
    const replacement = DOUBLE_QUOTED_ESCAPES[code]
    if (replacement === undefined) throw new Error(`${source}, line ${line}: unknown escape ${escape}`)
    return replacement
  })
}

/**
 * Fold the lines of a ">" block scalar: adjacent text lines join with a space, each blank line
 * becomes a line break, and more-indented lines keep their breaks.
 */
function foldLines(lines: string[]): string {
  let result = ''
  let previous: 'text' | 'indented' | 'blank' | 'start' = 'start'

  for (const line of lines) {
    const kind = line === '' ? 'blank' : /^\s/.test(line) ? 'indented' : 'text'
    if (kind === 'blank') result += '\n'
    else if (previous === 'text' && kind === 'text') result += ' ' + line
    else if (previous === 'start' || previous === 'blank') result += line
    else result += '\n' + line
    if (kind !== 'blank') previous = kind
    else if (previous !== 'start') previous = 'blank'
  }
  return result
}
