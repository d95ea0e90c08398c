// Banners from messages.json. The file stays compatible with the predecessor's array of
// {date, type, title, text}; `start`/`end` (ISO 8601, UTC unless an offset is given) limit
// when a banner shows, `affects` lists checks under maintenance (report keys or node
// names), `url` adds a "More information" link. Every string is rendered as text, and only
// http(s) URLs become links.

import { safeUrl } from './fetch.js'

const TYPE_LABELS = { info: 'Information', maintenance: 'Maintenance', incident: 'Incident' }
const URL_PATTERN = /https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)]/g

/** Parses an ISO 8601 time; a bare date, or a date-time without an offset, is read as UTC. */
function parseTime(value) {
  if (typeof value !== 'string' || value.trim() === '') return null
  let text = value.trim()
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) text += 'T00:00:00Z'
  else if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(text)) text += 'Z'
  const time = Date.parse(text)
  return Number.isNaN(time) ? null : time
}

/**
 * Validates the parsed messages.json. Returns the banners to show now, newest first, the
 * checks under maintenance and a list of problems (entries skipped and why).
 */
export function activeMessages(data, now) {
  const problems = []
  if (!Array.isArray(data)) {
    return { messages: [], affected: new Set(), problems: ['messages.json is invalid: expected a JSON array of messages.'] }
  }

  const messages = []
  const affected = new Set()
  data.forEach((entry, index) => {
    if (entry === null || typeof entry !== 'object' || typeof entry.title !== 'string') {
      problems.push(`messages.json entry ${index + 1} is skipped: it needs at least a "title" string.`)
      return
    }
    const start = parseTime(entry.start)
    const end = parseTime(entry.end)
    if (start !== null && now < start) return
    if (end !== null && now > end) return

    const message = {
      type: Object.hasOwn(TYPE_LABELS, entry.type) ? entry.type : 'info',
      title: entry.title,
      text: typeof entry.text === 'string' ? entry.text : '',
      date: typeof entry.date === 'string' ? entry.date : '',
      sortTime: parseTime(entry.date) ?? start ?? 0,
      start,
      end,
      url: safeUrl(entry.url)
    }
    messages.push(message)
    if (Array.isArray(entry.affects)) {
      for (const key of entry.affects) if (typeof key === 'string') affected.add(key)
    }
  })
  messages.sort((a, b) => b.sortTime - a.sortTime)
  return { messages, affected, problems }
}

/** Appends `text` to `parent`, turning http(s) URLs into links and everything else into text. */
function appendLinkedText(parent, text) {
  let last = 0
  for (const match of text.matchAll(URL_PATTERN)) {
    parent.append(text.slice(last, match.index))
    const href = safeUrl(match[0])
    if (href) {
      const link = document.createElement('a')
      link.href = href
      link.rel = 'noopener noreferrer'
      link.textContent = match[0]
      parent.append(link)
    } else parent.append(match[0])
    last = match.index + match[0].length
  }
  parent.append(text.slice(last))
}

/** Renders banners into `container` (replacing what was there). */
export function renderMessages(container, messages, formatUtc) {
  const cards = messages.map((message) => {
    const card = document.createElement('article')
    card.className = `message ${message.type}`

    const heading = document.createElement('h2')
    const kind = document.createElement('span')
    kind.className = 'message-type'
    kind.textContent = TYPE_LABELS[message.type]
    heading.append(kind, ' ', message.title)

    const meta = document.createElement('p')
    meta.className = 'message-meta'
    const when = []
    if (message.date) when.push(message.date)
    if (message.start !== null) when.push(`from ${formatUtc(message.start)} UTC`)
    if (message.end !== null) when.push(`until ${formatUtc(message.end)} UTC`)
    meta.textContent = when.join(' ')

    const body = document.createElement('p')
    appendLinkedText(body, message.text)
    card.append(heading, meta, body)

    if (message.url) {
      const link = document.createElement('a')
      link.href = message.url
      link.rel = 'noopener noreferrer'
      link.textContent = 'More information'
      card.append(link)
    }
    return card
  })
  container.replaceChildren(...cards)
  container.hidden = cards.length === 0
}
