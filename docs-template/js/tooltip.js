// One shared tooltip for every bar. It opens on keyboard focus, mouse hover and touch, and
// shows the bar's accessible name, so screen readers and sighted visitors get the same text.
// Within a strip only one bar is in the tab order; arrow keys, Home and End move between bars.

const HIDE_DELAY_MS = 800
const MARGIN_PX = 8
const OFFSET_PX = 8

export function initTooltips(root, tooltip) {
  let hideTimer = 0
  let current = null

  const show = (bar) => {
    clearTimeout(hideTimer)
    current = bar
    tooltip.textContent = bar.getAttribute('aria-label')
    tooltip.hidden = false
    bar.setAttribute('aria-describedby', tooltip.id)

    // Centre below the bar, kept inside the viewport.
    const box = bar.getBoundingClientRect()
    const width = tooltip.offsetWidth
    const left = Math.min(Math.max(box.left + box.width / 2 - width / 2, MARGIN_PX), window.innerWidth - width - MARGIN_PX)
    tooltip.style.left = `${Math.max(left, MARGIN_PX) + window.scrollX}px`
    tooltip.style.top = `${box.bottom + OFFSET_PX + window.scrollY}px`
  }

  const hide = () => {
    if (current) current.removeAttribute('aria-describedby')
    current = null
    tooltip.hidden = true
  }

  const isBar = (target) => target instanceof Element && target.classList.contains('bar')

  root.addEventListener('focusin', (event) => {
    if (isBar(event.target)) show(event.target)
  })
  root.addEventListener('focusout', (event) => {
    if (isBar(event.target)) hide()
  })
  root.addEventListener('mouseover', (event) => {
    if (isBar(event.target)) show(event.target)
  })
  root.addEventListener('mouseout', (event) => {
    if (isBar(event.target) && event.target !== document.activeElement) hideTimer = setTimeout(hide, HIDE_DELAY_MS)
  })
  root.addEventListener('pointerdown', (event) => {
    if (event.pointerType === 'touch' && isBar(event.target)) show(event.target)
    else if (event.pointerType === 'touch') hide()
  })
  root.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      hide()
      return
    }
    if (!isBar(event.target)) return
    const bars = [...event.target.parentElement.children]
    const index = bars.indexOf(event.target)
    const target =
      event.key === 'ArrowLeft' ? bars[index - 1]
      : event.key === 'ArrowRight' ? bars[index + 1]
      : event.key === 'Home' ? bars[0]
      : event.key === 'End' ? bars[bars.length - 1]
      : undefined
    if (!target) return
    event.preventDefault()
    event.target.tabIndex = -1
    target.tabIndex = 0
    target.focus()
  })

  return {
    /** Shows the open tooltip again, after a render changed its bar's label. */
    refresh: () => {
      if (current && current.isConnected) show(current)
    }
  }
}
