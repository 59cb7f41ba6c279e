import { DataTable } from '../components/DataTable.tsx'
import type { IdentityField } from './types.ts'

export const NORMALIZE_LABELS = {
  email: 'Email: trimmed, lower case',
  lowercase: 'Lower case',
  none: 'As sent (trimmed)',
} as const

/** What a field without `normalize` gets: email rules for a field named email, else none. */
export const defaultNormalize = (name: string) => (name.trim() === 'email' ? 'email' : 'none')

/** The rules read-only, for people who may see but not change them. */
export function IdentityRulesTable({ fields }: { fields: IdentityField[] }) {
  return (
    <DataTable columns={[{ label: 'Priority', numeric: true }, 'Field', 'Values compared']}>
      {fields.map((field) => (
        <tr key={field.name}>
          <td className="numeric">{field.priority}</td>
          <td>
            <code>{field.name}</code>
          </td>
          <td className="muted">{NORMALIZE_LABELS[field.normalize ?? defaultNormalize(field.name)]}</td>
        </tr>
      ))}
    </DataTable>
  )
}
