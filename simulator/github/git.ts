import { spawn } from 'node:child_process'

/** A failed git command, with its arguments and standard error. */
export class GitCommandError extends Error {
  override readonly name = 'GitCommandError'

  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string
  ) {
    super(`git ${args.join(' ')} failed with exit code ${exitCode}: ${stderr.trim()}`)
  }
}

export interface GitOptions {
  /** Bytes written to the command's standard input. */
  input?: string | Buffer
  /** Extra environment variables, on top of the process environment. */
  env?: Record<string, string>
  /** Exit codes that are results rather than failures (e.g. 1 for `merge-base --is-ancestor`). */
  allowExitCodes?: number[]
}

export interface GitResult {
  stdout: Buffer
  exitCode: number
}

/**
 * Runs git plumbing against one bare repository. Arguments go to git as an array, so paths
 * and messages from requests are data and never reach a shell.
 */
export class BareRepository {
  constructor(readonly dir: string) {}

  async run(args: string[], options: GitOptions = {}): Promise<GitResult> {
    const child = spawn('git', args, {
      cwd: this.dir,
      env: {
        ...process.env,
        GIT_DIR: this.dir,
        // Keep the host's and the user's git configuration out of the emulated repository.
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_TERMINAL_PROMPT: '0',
        ...options.env
      },
      stdio: ['pipe', 'pipe', 'pipe']
    })

    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    child.stdin.on('error', () => undefined)
    child.stdin.end(options.input ?? '')

    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject)
      child.on('close', resolve)
    })

    const allowed = options.allowExitCodes ?? []
    if (exitCode !== 0 && (exitCode === null || !allowed.includes(exitCode))) {
      throw new GitCommandError(args, exitCode, Buffer.concat(stderr).toString('utf8'))
    }
    return { stdout: Buffer.concat(stdout), exitCode }
  }

  /** Runs git and returns its standard output as trimmed text. */
  async text(args: string[], options: GitOptions = {}): Promise<string> {
    const { stdout } = await this.run(args, options)
    return stdout.toString('utf8').trim()
  }

  /** Resolves a revision to an object id, or null when it does not exist. */
  async resolve(revision: string): Promise<string | null> {
    const { stdout, exitCode } = await this.run(['rev-parse', '--verify', '--quiet', '--end-of-options', revision], {
      allowExitCodes: [1, 128]
    })
    return exitCode === 0 ? stdout.toString('utf8').trim() : null
  }

  /** Returns the object type (`commit`, `tree`, `blob`, `tag`), or null for an unknown id. */
  async objectType(sha: string): Promise<string | null> {
    if (!/^[0-9a-f]{40}$/.test(sha)) return null
    const { stdout, exitCode } = await this.run(['cat-file', '-t', sha], { allowExitCodes: [1, 128] })
    return exitCode === 0 ? stdout.toString('utf8').trim() : null
  }

  async readBlob(sha: string): Promise<Buffer> {
    const { stdout } = await this.run(['cat-file', 'blob', sha])
    return stdout
  }

  async writeBlob(content: Buffer): Promise<string> {
    return this.text(['hash-object', '-w', '--stdin'], { input: content })
  }

  /** True when the repository has no commit on any branch yet. */
  async isEmpty(): Promise<boolean> {
    const refs = await this.text(['for-each-ref', '--count=1', '--format=%(refname)', 'refs/heads/'])
    return refs === ''
  }
}
