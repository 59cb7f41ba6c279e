import { type KeyboardEvent, useId, useState } from 'react'
import { ProviderIcon } from '../components/ProviderIcon.tsx'
import { usePaletteItems } from './Palette.tsx'
import { type PaletteItem, searchPalette } from './palette-items.ts'

/**
 * The canvas' quick-add search (`/` or a double-click on the canvas): type, arrow to an item,
 * Enter adds it where the search was opened; Escape closes.
 */
export function QuickAdd({
  at,
  onPick,
  onClose,
}: {
  /** Where the box shows, in pixels within the canvas area. */
  at: { left: number; top: number }
  onPick: (item: PaletteItem) => void
  onClose: () => void
}) {
  const items = usePaletteItems()
  const [query, setQuery] = useState('')
  const [active, setActive] = useState(0)
  const listId = useId()
  const found = searchPalette(items, query).slice(0, 8)
  const current = Math.min(active, Math.max(found.length - 1, 0))

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') onClose()
    else if (event.key === 'ArrowDown') setActive((current + 1) % Math.max(found.length, 1))
    else if (event.key === 'ArrowUp') setActive((current - 1 + found.length) % Math.max(found.length, 1))
    else if (event.key === 'Enter' && found[current]) onPick(found[current])
    else return
    event.preventDefault()
  }

  return (
    <div className="quick-add" style={at} role="dialog" aria-label="Add a node">
      <input
        className="input"
        // biome-ignore lint/a11y/noAutofocus: the box opens on a keystroke to be typed into at once
        autoFocus
        role="combobox"
        aria-expanded="true"
        aria-controls={listId}
        aria-activedescendant={found[current] ? `${listId}-${current}` : undefined}
        aria-label="Node to add"
        placeholder="Add a node…"
        value={query}
        onChange={(event) => {
          setQuery(event.target.value)
          setActive(0)
        }}
        onKeyDown={onKeyDown}
        onBlur={onClose}
      />
      <div id={listId} role="listbox" aria-label="Matching nodes" className="quick-add-list">
        {found.map((item, index) => (
          <div
            key={item.key}
            id={`${listId}-${index}`}
            role="option"
            tabIndex={-1}
            aria-selected={index === current}
            className={index === current ? 'is-active' : undefined}
            // mousedown, not click: the input's blur would close the box first.
            onMouseDown={(event) => {
              event.preventDefault()
              onPick(item)
            }}
          >
            <ProviderIcon svg={item.icon} size={18} />
            <span>{item.title}</span>
            <span className="quick-add-group">{item.group}</span>
          </div>
        ))}
        {found.length === 0 && <p className="quick-add-empty">No node matches.</p>}
      </div>
    </div>
  )
}
