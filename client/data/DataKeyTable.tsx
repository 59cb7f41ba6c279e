import { DataTable } from '../components/DataTable.tsx'
import { RelativeTime } from '../components/RelativeTime.tsx'
import type { DataKey } from './types.ts'

export function DataKeyTable({ keys, onDelete }: { keys: DataKey[]; onDelete: (key: DataKey) => void }) {
  return (
    <DataTable columns={['Name', 'Key', 'Stream', 'Created', 'Last used', '']}>
      {keys.map((key) => (
        <tr key={key.id}>
          <td className="row-title">{key.name}</td>
          <td>
            <code>{key.prefix}…</code>
          </td>
          <td className={key.stream ? undefined : 'muted'}>{key.stream ?? 'Any stream'}</td>
          <td className="muted">
            <RelativeTime iso={key.createdAt} />
          </td>
          <td className="muted">
            <RelativeTime iso={key.lastUsedAt} never="Never" />
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
    </DataTable>
  )
}
