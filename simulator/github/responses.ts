import type { ListedTreeEntry, ParsedCommit } from './objects.js'

/** URL bases of one emulated repository: the API and the web pages (`html_url`). */
export interface RepositoryUrls {
  api: string
  html: string
  owner: string
  repo: string
}

/** Verification state the emulator reports for a commit. */
export interface Verification {
  verified: boolean
  reason: string
}

function repoApi(urls: RepositoryUrls): string {
  return `${urls.api}/repos/${urls.owner}/${urls.repo}`
}

function nodeId(prefix: string, sha: string): string {
  return Buffer.from(`${prefix}:${sha}`).toString('base64')
}

/** Encodes bytes as base64 wrapped at 60 characters, as the contents and blobs APIs send them. */
export function wrappedBase64(content: Buffer): string {
  const flat = content.toString('base64')
  const lines: string[] = []
  for (let start = 0; start < flat.length; start += 60) lines.push(flat.slice(start, start + 60))
  return lines.map((line) => `${line}\n`).join('')
}

export function repositoryBody(urls: RepositoryUrls, defaultBranch: string): object {
  return {
    id: 1,
    node_id: nodeId('Repository', urls.repo),
    name: urls.repo,
    full_name: `${urls.owner}/${urls.repo}`,
    private: false,
    owner: { login: urls.owner, type: 'Organization' },
    html_url: `${urls.html}/${urls.owner}/${urls.repo}`,
    url: repoApi(urls),
    default_branch: defaultBranch,
    permissions: { admin: false, push: true, pull: true }
  }
}

export function refBody(urls: RepositoryUrls, ref: string, sha: string): object {
  return {
    ref,
    node_id: nodeId('Ref', ref),
    url: `${repoApi(urls)}/git/${ref}`,
    object: { type: 'commit', sha, url: `${repoApi(urls)}/git/commits/${sha}` }
  }
}

export function gitCommitBody(urls: RepositoryUrls, commit: ParsedCommit, verification: Verification): object {
  return {
    sha: commit.sha,
    node_id: nodeId('Commit', commit.sha),
    url: `${repoApi(urls)}/git/commits/${commit.sha}`,
    html_url: `${urls.html}/${urls.owner}/${urls.repo}/commit/${commit.sha}`,
    author: commit.author,
    committer: commit.committer,
    message: commit.message,
    tree: { sha: commit.tree, url: `${repoApi(urls)}/git/trees/${commit.tree}` },
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${repoApi(urls)}/git/commits/${sha}`,
      html_url: `${urls.html}/${urls.owner}/${urls.repo}/commit/${sha}`
    })),
    verification: verificationBody(verification)
  }
}

/** Builds one item of `GET /repos/:o/:r/commits`, with the git commit nested under `commit`. */
export function listedCommitBody(urls: RepositoryUrls, commit: ParsedCommit, verification: Verification): object {
  return {
    sha: commit.sha,
    node_id: nodeId('Commit', commit.sha),
    url: `${repoApi(urls)}/commits/${commit.sha}`,
    html_url: `${urls.html}/${urls.owner}/${urls.repo}/commit/${commit.sha}`,
    commit: {
      author: commit.author,
      committer: commit.committer,
      message: commit.message,
      tree: { sha: commit.tree, url: `${repoApi(urls)}/git/trees/${commit.tree}` },
      url: `${repoApi(urls)}/git/commits/${commit.sha}`,
      verification: verificationBody(verification)
    },
    parents: commit.parents.map((sha) => ({ sha, url: `${repoApi(urls)}/commits/${sha}` }))
  }
}

function verificationBody(verification: Verification): object {
  return {
    verified: verification.verified,
    reason: verification.reason,
    signature: null,
    payload: null,
    verified_at: verification.verified ? new Date().toISOString() : null
  }
}

export function treeBody(urls: RepositoryUrls, sha: string, entries: ListedTreeEntry[]): object {
  return {
    sha,
    url: `${repoApi(urls)}/git/trees/${sha}`,
    truncated: false,
    tree: entries.map((entry) => ({
      ...entry,
      url: `${repoApi(urls)}/git/${entry.type === 'tree' ? 'trees' : 'blobs'}/${entry.sha}`
    }))
  }
}

export function blobBody(urls: RepositoryUrls, sha: string, content: Buffer): object {
  return {
    sha,
    node_id: nodeId('Blob', sha),
    size: content.length,
    url: `${repoApi(urls)}/git/blobs/${sha}`,
    content: wrappedBase64(content),
    encoding: 'base64'
  }
}

/** The contents API omits the content of files over 1 MiB (encoding `none`); read them as blobs. */
export const CONTENTS_MAX_BYTES = 1024 * 1024

export function fileContentBody(urls: RepositoryUrls, path: string, ref: string, sha: string, content: Buffer): object {
  const name = path.split('/').pop() ?? path
  const self = `${repoApi(urls)}/contents/${path}?ref=${ref}`
  const git = `${repoApi(urls)}/git/blobs/${sha}`
  const html = `${urls.html}/${urls.owner}/${urls.repo}/blob/${ref}/${path}`
  const tooLarge = content.length > CONTENTS_MAX_BYTES
  return {
    type: 'file',
    encoding: tooLarge ? 'none' : 'base64',
    size: content.length,
    name,
    path,
    content: tooLarge ? '' : wrappedBase64(content),
    sha,
    url: self,
    git_url: git,
    html_url: html,
    download_url: `${urls.html}/raw/${urls.owner}/${urls.repo}/${ref}/${path}`,
    _links: { self, git, html }
  }
}

export function directoryContentBody(urls: RepositoryUrls, ref: string, entries: ListedTreeEntry[], dir: string): object[] {
  return entries.map((entry) => {
    const path = dir === '' ? entry.path : `${dir}/${entry.path}`
    return {
      type: entry.type === 'tree' ? 'dir' : 'file',
      size: entry.size ?? 0,
      name: entry.path,
      path,
      sha: entry.sha,
      url: `${repoApi(urls)}/contents/${path}?ref=${ref}`
    }
  })
}
