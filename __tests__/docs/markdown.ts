// Reads the parts of a Markdown document (GitHub Flavored Markdown) that the documentation tests
// compare with the code: headings, tables, fenced code blocks and inline code spans.

export interface Heading {
  level: number
  text: string
  /** 0-based line index. */
  line: number
}

export interface CodeBlock {
  /** Info string after the opening fence ("yaml", "sh"), lower-cased; "" when absent. */
  language: string
  text: string
  /** 0-based line index of the opening fence. */
  line: number
}

export interface Table {
  header: string[]
  rows: string[][]
  /** 0-based line index of the header row. */
  line: number
}

export class MarkdownDocument {
  readonly lines: string[]
  readonly headings: Heading[] = []
  readonly codeBlocks: CodeBlock[] = []
  /** Line indexes inside fenced code blocks, fences included. */
  private readonly fenced = new Set<number>()

  constructor(
    text: string,
    readonly source: string
  ) {
    this.lines = text.replace(/\r\n?/g, '\n').split('\n')
    this.scan()
  }

  /**
   * Find the section under the first heading whose text matches `title`, up to the next heading
   * of the same or a higher level. Returns the line range [start, end) of its body.
   */
  section(title: RegExp): { heading: Heading; start: number; end: number } | undefined {
    const index = this.headings.findIndex((heading) => title.test(heading.text))
    if (index < 0) return undefined
    const heading = this.headings[index]!
    const next = this.headings.slice(index + 1).find((other) => other.level <= heading.level)
    return { heading, start: heading.line + 1, end: next ? next.line : this.lines.length }
  }

  /** Collect the tables whose header row lies in [start, end). */
  tables(start = 0, end = this.lines.length): Table[] {
    const tables: Table[] = []
    for (let index = start; index < end - 1; index++) {
      if (this.fenced.has(index) || !isTableRow(this.lines[index]!)) continue
      if (!isDelimiterRow(this.lines[index + 1]!)) continue

      const header = splitRow(this.lines[index]!)
      const rows: string[][] = []
      let row = index + 2
      while (row < end && !this.fenced.has(row) && isTableRow(this.lines[row]!)) {
        rows.push(splitRow(this.lines[row]!))
        row++
      }
      tables.push({ header, rows, line: index })
      index = row - 1
    }
    return tables
  }

  /** Collect the inline code spans outside fenced blocks, with their 0-based line index. */
  inlineCode(): { code: string; line: number }[] {
    const spans: { code: string; line: number }[] = []
    this.lines.forEach((text, line) => {
      if (this.fenced.has(line)) return
      for (const match of text.matchAll(/(`+)(.+?)\1(?!`)/g)) spans.push({ code: match[2]!.trim(), line })
    })
    return spans
  }

  private scan(): void {
    let fence: { marker: string; language: string; line: number; body: string[] } | undefined

    this.lines.forEach((text, line) => {
      const fenceMatch = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)/.exec(text)
      if (fence) {
        this.fenced.add(line)
        if (fenceMatch && fenceMatch[1]!.startsWith(fence.marker) && text.trim() === fenceMatch[1]) {
          this.codeBlocks.push({ language: fence.language, text: fence.body.join('\n'), line: fence.line })
          fence = undefined
        } else {
          fence.body.push(text)
        }
        return
      }
      if (fenceMatch) {
        this.fenced.add(line)
        fence = { marker: fenceMatch[1]!, language: fenceMatch[2]!.toLowerCase(), line, body: [] }
        return
      }

      const heading = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(text)
      if (heading) this.headings.push({ level: heading[1]!.length, text: heading[2]!, line })
    })

    if (fence) throw new Error(`${this.source}, line ${fence.line + 1}: code fence ${fence.marker} is never closed`)
  }
}

function isTableRow(line: string): boolean {
  return line.trim().startsWith('|')
}

function isDelimiterRow(line: string): boolean {
  return /^\s*\|?(\s*:?-{3,}:?\s*\|)+\s*(:?-{3,}:?\s*)?$/.test(line)
}

/**
 * Split a table row into trimmed cells. A "|" escaped as "\|" belongs to the cell, also inside a
 * code span, as GitHub renders it.
 */
export function splitRow(line: string): string[] {
  let text = line.trim()
  if (text.startsWith('|')) text = text.slice(1)
  if (text.endsWith('|') && !text.endsWith('\\|')) text = text.slice(0, -1)
  return text.split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, '|'))
}

/** Return the text of the first code span in a cell, or undefined when the cell has none. */
export function firstCodeSpan(cell: string): string | undefined {
  const match = /(`+)(.*?)\1(?!`)/.exec(cell)
  return match ? match[2]!.trim() : undefined
}
