import { type DragEvent, useMemo, useState } from 'react'
import { ProviderIcon } from '../components/ProviderIcon.tsx'
import { SearchField } from '../components/SearchField.tsx'
import { useProviders } from '../queries/providers.ts'
import { PALETTE_GROUPS, type PaletteItem, paletteItems, searchPalette } from './palette-items.ts'

/** The drag payload type: a palette item's key, read back by the canvas' drop handler. */
export const PALETTE_MIME = 'application/x-sluice-palette'

/** The catalogue's items, memoised per catalogue. */
export function usePaletteItems(): PaletteItem[] {
  const { data } = useProviders()
  return useMemo(() => paletteItems(data ?? []), [data])
}

/**
 * The node catalogue beside the canvas: grouped, searchable; drag an item onto the canvas to place
 * it where it is dropped, or click it (or press Enter on it) to add it in the middle of the view.
 */
export function Palette({ onAdd, onWizard }: { onAdd: (item: PaletteItem) => void; onWizard: () => void }) {
  const items = usePaletteItems()
  const [query, setQuery] = useState('')
  const found = searchPalette(items, query)

  const startDrag = (event: DragEvent, item: PaletteItem) => {
    event.dataTransfer.setData(PALETTE_MIME, item.key)
    event.dataTransfer.effectAllowed = 'copy'
  }

  return (
    <aside className="palette" aria-label="Node palette">
      <button type="button" className="button button-primary" onClick={onWizard}>
        Add step by step…
      </button>
      <SearchField label="Search nodes" value={query} onChange={setQuery} />
      <div className="palette-groups">
        {PALETTE_GROUPS.map((group) => {
          const inGroup = found.filter((item) => item.group === group)
          if (inGroup.length === 0) return null
          return (
            <section key={group} className="palette-group" aria-label={group}>
              <h3>{group}</h3>
              <ul>
                {inGroup.map((item) => (
                  <li key={item.key}>
                    <button
                      type="button"
                      className="palette-item"
                      draggable
                      onDragStart={(event) => startDrag(event, item)}
                      onClick={() => onAdd(item)}
                      title={item.description}
                      data-testid={`palette-${item.key}`}
                    >
                      <ProviderIcon svg={item.icon} size={22} />
                      <span>{item.title}</span>
                    </button>
                  </li>
                ))}
              </ul>
            </section>
          )
        })}
        {found.length === 0 && <p className="palette-empty">No node matches “{query}”.</p>}
      </div>
    </aside>
  )
}
