import { formatDateTime, formatRelative } from '../format.ts'
import type { DataKey } from './types.ts'

function When({ iso, never }: { iso: string | null; never: string }) {
  if (!iso) return <>{never}</>
  return (
    <time dateTime={iso} title={formatDateTime(iso)}>
      {formatRelative(iso)}
    </time>
  )
}

export function DataKeyTable({ keys, onDelete }: { keys: DataKey[]; onDelete: (key: DataKey) => void }) {
  return (
    <div className="table-wrap">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Key</th>
            <th scope="col">Stream</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => (
            <tr key={key.id}>
              <td className="row-title">{key.name}</td>
              <td>
                <code>{key.prefix}…</code>
              </td>
              <td className={key.stream ? undefined : 'muted'}>{key.stream ?? 'Any stream'}</td>
              <td className="muted">
                <When iso={key.createdAt} never="" />
              </td>
              <td className="muted">
                <When iso={key.lastUsedAt} never="Never" />
              </td>
              <td className="row-actions">
                <button
                  type="button"
                  className="button button-small button-ghost button-ghost-danger"
                  aria-label={`Delete ${key.name}`}
                  onClick={() => onDelete(key)}
                >
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
