// Loading of logs, status.json and messages.json. Every request bypasses caches, because
// static hosts such as GitHub Pages let browsers keep files for some minutes. Every failure
// becomes a result with a readable problem instead of an exception, so one bad file never
// stops the page.

const TIMEOUT_MS = 20000

/** Adds a cache-busting query parameter to a URL relative to the page. */
export function freshUrl(url, now = Date.now()) {
  const absolute = new URL(url, document.baseURI)
  absolute.searchParams.set('t', String(now))
  return absolute.href
}

/** Returns a link target only for http(s) URLs, else null. */
export function safeUrl(value) {
  if (typeof value !== 'string') return null
  try {
    const url = new URL(value, document.baseURI)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null
  } catch {
    return null
  }
}

/** Fetches a text file: {text} on success, {problem, missing} on any failure. */
export async function fetchText(url) {
  let response
  try {
    response = await fetch(freshUrl(url), { cache: 'no-store', signal: AbortSignal.timeout(TIMEOUT_MS) })
  } catch (error) {
    const reason = error && error.name === 'TimeoutError' ? `timed out after ${TIMEOUT_MS / 1000} s` : 'network error'
    return { problem: `Could not load ${url}: ${reason}.`, missing: false }
  }
  if (response.status === 404) return { problem: `${url} was not found (HTTP 404).`, missing: true }
  if (!response.ok) return { problem: `Could not load ${url}: HTTP ${response.status}.`, missing: false }
  try {
    return { text: await response.text() }
  } catch {
    return { problem: `Could not read ${url}: the connection broke off.`, missing: false }
  }
}

/** Fetches and parses a JSON file: {data} or {problem, missing}. */
export async function fetchJson(url) {
  const result = await fetchText(url)
  if (result.problem) return result
  try {
    return { data: JSON.parse(result.text) }
  } catch (error) {
    return { problem: `${url} is not valid JSON (${error.message}).`, missing: false }
  }
}

/**
 * Creates a queue that runs at most `limit` tasks at once, in the order they were added. All
 * log loads share it, so a card scrolled into view waits behind the loads already queued.
 */
export function createQueue(limit) {
  const waiting = []
  let running = 0

  const next = () => {
    while (running < limit && waiting.length > 0) {
      const { task, resolve, reject } = waiting.shift()
      running++
      task().then(resolve, reject).finally(() => {
        running--
        next()
      })
    }
  }

  return (task) =>
    new Promise((resolve, reject) => {
      waiting.push({ task, resolve, reject })
      next()
    })
}
