// Writes an uncompressed POSIX ustar archive in memory, as the storage service streams a bucket.

const BLOCK = 512

export interface TarEntry {
  path: string
  content: Buffer
  mtime: Date
  /** Target of a symbolic link; such an entry has type 2 and no content. */
  linkTarget?: string
  /** Size written into the header instead of the content's length, to build a lying header. */
  declaredSize?: number
}

function writeText(header: Buffer, offset: number, length: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8')
  if (bytes.length > length) throw new Error(`tar header field too long: "${text}" needs ${bytes.length} of ${length} bytes`)
  bytes.copy(header, offset)
}

/** Octal number, zero-padded to `length - 1` digits and NUL-terminated. */
function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  writeText(header, offset, length, value.toString(8).padStart(length - 1, '0') + '\0')
}

/** Splits a long path into the ustar prefix (155 bytes) and name (100 bytes) at a slash. */
function splitPath(path: string): { prefix: string; name: string } {
  if (Buffer.byteLength(path) <= 100) return { prefix: '', name: path }
  for (let index = path.indexOf('/'); index >= 0; index = path.indexOf('/', index + 1)) {
    const prefix = path.slice(0, index)
    const name = path.slice(index + 1)
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { prefix, name }
  }
  throw new Error(`tar entry path is too long for a ustar header: "${path}"`)
}

function header(entry: TarEntry): Buffer {
  const block = Buffer.alloc(BLOCK)
  const { prefix, name } = splitPath(entry.path)
  writeText(block, 0, 100, name)
  writeOctal(block, 100, 8, 0o644)
  writeOctal(block, 108, 8, 0)
  writeOctal(block, 116, 8, 0)
  writeOctal(block, 124, 12, entry.declaredSize ?? entry.content.length)
  writeOctal(block, 136, 12, Math.floor(entry.mtime.getTime() / 1000))
  block.fill(' ', 148, 156)
  writeText(block, 156, 1, entry.linkTarget === undefined ? '0' : '2')
  if (entry.linkTarget !== undefined) writeText(block, 157, 100, entry.linkTarget)
  writeText(block, 257, 6, 'ustar\0')
  writeText(block, 263, 2, '00')
  writeText(block, 345, 155, prefix)

  // The checksum is the byte sum of the header with the checksum field read as eight spaces.
  let sum = 0
  for (const byte of block) sum += byte
  writeText(block, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ')
  return block
}

/** Packs one regular-file entry per input, then the two zero blocks that end an archive. */
export function packTar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = []
  for (const entry of entries) {
    parts.push(header(entry), entry.content)
    const padding = (BLOCK - (entry.content.length % BLOCK)) % BLOCK
    if (padding > 0) parts.push(Buffer.alloc(padding))
  }
  parts.push(Buffer.alloc(BLOCK * 2))
  return Buffer.concat(parts)
}
