/** A column header that sorts the list by `column` (server-side), toggling ascending and descending. */
export function SortHeader({
  label,
  column,
  sort,
  onSort,
}: {
  label: string
  column: string
  /** The list's sort: `column` or `-column`. */
  sort: string
  onSort: (next: string) => void
}) {
  const direction = sort === column ? 'ascending' : sort === `-${column}` ? 'descending' : 'none'
  return (
    <th scope="col" aria-sort={direction}>
      <button
        type="button"
        className="sort-button"
        onClick={() => onSort(direction === 'ascending' ? `-${column}` : column)}
      >
        {label}
        <span aria-hidden="true" className="sort-arrow">
          {direction === 'ascending' ? '▲' : direction === 'descending' ? '▼' : '↕'}
        </span>
      </button>
    </th>
  )
}
