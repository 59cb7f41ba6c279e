import { Link } from 'react-router'
import { formatDateTime, formatRelative } from '../format.ts'
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
    <div className="table-wrap">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Attribute</th>
            <th scope="col">Value</th>
            <th scope="col">Set</th>
            <th scope="col">Stream</th>
          </tr>
        </thead>
        <tbody>
          {names.map((name) => {
            const attribute = attributes[name]!
            return (
              <tr key={name}>
                <td className="row-title">{name}</td>
                <td className="attribute-value">{show(attribute.value)}</td>
                <td className="muted">
                  <time dateTime={attribute.at} title={formatDateTime(attribute.at)}>
                    {formatRelative(attribute.at)}
                  </time>
                </td>
                <td>
                  <Link to={streamPath(attribute.stream)}>{attribute.stream}</Link>
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}
