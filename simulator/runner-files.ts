// Reads the files a GitHub runner collects from a JavaScript action: GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY. Used by the demo and the end-to-end tests.

/**
 * Parses a GITHUB_OUTPUT file. @actions/core writes each output as
 * `name<<DELIMITER`, the value lines, then `DELIMITER`; plain `name=value` lines also occur.
 */
export function parseOutputFile(content: string): Map<string, string> {
  const outputs = new Map<string, string>()
  const lines = content.split(/\r?\n/)

  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line)
    if (heredoc) {
      const [, name, delimiter] = heredoc
      const end = lines.indexOf(delimiter!, index + 1)
      if (end === -1) throw new Error(`Output '${name}' has no closing delimiter '${delimiter}'.`)
      outputs.set(name!, lines.slice(index + 1, end).join('\n'))
      index = end
      continue
    }
    const assignment = /^([^=]+)=(.*)$/.exec(line)
    if (assignment) outputs.set(assignment[1]!, assignment[2]!)
  }

  return outputs
}

const ENTITIES: Readonly<Record<string, string>> = { '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&amp;': '&' }

/** Renders the action's summary HTML as plain text, with tables as aligned columns. */
export function summaryToText(html: string): string {
  const withTables = html.replace(/<table>([\s\S]*?)<\/table>/g, (_match, body: string) => `\n${tableToText(body)}\n`)
  const text = withTables
    .replace(/<h[1-6]>([\s\S]*?)<\/h[1-6]>/g, (_match, title: string) => `\n${title}\n`)
    .replace(/<summary>([\s\S]*?)<\/summary>/g, (_match, title: string) => `${title}:\n`)
    .replace(/<br>\n?/g, '\n')
    .replace(/<li>/g, '  • ')
    .replace(/<[^>]+>/g, '')
  return decodeEntities(text)
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}

function tableToText(body: string): string {
  const rows = [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<t[hd]>([\s\S]*?)<\/t[hd]>/g)].map((cell) =>
      decodeEntities(cell[1]!.replace(/<br>/g, '; ').replace(/<[^>]+>/g, ''))
    )
  )
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, column) => (widths[column] = Math.max(widths[column] ?? 0, [...cell].length)))
  return rows
    .map((row) => row.map((cell, column) => cell + ' '.repeat(widths[column]! - [...cell].length)).join('  ').trimEnd())
    .join('\n')
}

function decodeEntities(text: string): string {
  return text.replace(/&(lt|gt|quot|#39|amp);/g, (entity) => ENTITIES[entity]!)
}
