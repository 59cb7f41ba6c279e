import { useId } from 'react'
import { SearchIcon } from './icons.tsx'

/** A search box with a real (visually hidden) label. */
export function SearchField({
  label,
  value,
  onChange,
}: {
  label: string
  value: string
  onChange: (value: string) => void
}) {
  const id = useId()
  return (
    <div className="search-field">
      <label htmlFor={id} className="visually-hidden">
        {label}
      </label>
      <span className="search-icon">
        <SearchIcon />
      </span>
      <input
        id={id}
        type="search"
        className="input"
        placeholder={`${label}…`}
        value={value}
        onChange={(event) => onChange(event.target.value)}
      />
    </div>
  )
}
