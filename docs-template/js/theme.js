// Light and dark themes. The page follows the operating system until the visitor picks a
// theme; the choice is kept in localStorage. The button cycles system → light → dark.

const STORAGE_KEY = 'flame-status-theme'
const CHOICES = ['system', 'light', 'dark']

function readChoice() {
  try {
    const saved = localStorage.getItem(STORAGE_KEY)
    return CHOICES.includes(saved) ? saved : 'system'
  } catch {
    // Storage can be unavailable (privacy mode, file:// pages); the OS setting then applies.
    return 'system'
  }
}

function apply(choice, button) {
  if (choice === 'system') delete document.documentElement.dataset.theme
  else document.documentElement.dataset.theme = choice
  button.textContent = `Theme: ${choice}`
  button.setAttribute('aria-label', `Colour theme: ${choice}. Select to change.`)
}

export function initTheme(button) {
  let choice = readChoice()
  apply(choice, button)
  button.addEventListener('click', () => {
    choice = CHOICES[(CHOICES.indexOf(choice) + 1) % CHOICES.length]
    try {
      if (choice === 'system') localStorage.removeItem(STORAGE_KEY)
      else localStorage.setItem(STORAGE_KEY, choice)
    } catch {
      // Not saved, so the choice applies only until the page is reloaded.
    }
    apply(choice, button)
  })
}
