// Builds tar archives in memory with node-tar's Header, including archives node-tar's
// own packer would refuse to write (traversal paths, links, impossible sizes).

import { Header, type HeaderData } from 'tar'

export interface TarEntry {
  path: string
  content?: string | Buffer
  type?: HeaderData['type']
  linkpath?: string
  /** Size written into the header; defaults to the content's length. */
  declaredSize?: number
}

export function buildTar(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = []
  for (const entry of entries) {
    const content = Buffer.from(entry.content ?? '')
    const header = Buffer.alloc(512)
    new Header({
      path: entry.path,
      type: entry.type ?? 'File',
      linkpath: entry.linkpath,
      size: entry.declaredSize ?? content.length,
      mode: 0o644,
      mtime: new Date(Date.UTC(2026, 0, 1))
    }).encode(header, 0)
    blocks.push(header, content, Buffer.alloc((512 - (content.length % 512)) % 512))
  }
  blocks.push(Buffer.alloc(1024))
  return Buffer.concat(blocks)
}

/** Build the JSON that the test analysis's aggregator writes. */
export function payloadJson(nodeResults: Record<string, string>, overallSuccess = true): string {
  return JSON.stringify({
    overall_success: overallSuccess,
    node_results: nodeResults,
    nodes_responded: Object.keys(nodeResults).length,
    average_compute_time: 0.0,
    timestamp: 1_780_000_000
  })
}
