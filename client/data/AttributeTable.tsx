import { Link } from 'react-router'
import { DataTable } from '../components/DataTable.tsx'
import { RelativeTime } from '../components/RelativeTime.tsx'
import { streamPath } from './StreamTable.tsx'
import type { Attribute } from './types.ts'

/** Strings as they are; anything else (numbers, lists, objects) as compact JSON. */
function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/** A profile's attributes: each value with when it was set and the stream that set it. */
export function AttributeTable({ attributes }: { attributes: Record<string, Attribute> }) {
  const names = Object.keys(attributes).sort((a, b) => a.localeCompare(b))
  if (names.length === 0) return <p className="muted">No attributes yet.</p>
  return (
    <DataTable columns={['Attribute', 'Value', 'Set', 'Stream']}>
      {names.map((name) => {
        const attribute = attributes[name]!
        return (
          <tr key={name}>
            <td className="row-title">{name}</td>
            <td className="attribute-value">{show(attribute.value)}</td>
            <td className="muted">
              <RelativeTime iso={attribute.at} />
            </td>
            <td>
              <Link to={streamPath(attribute.stream)}>{attribute.stream}</Link>
            </td>
          </tr>
        )
      })}
    </DataTable>
  )
}
