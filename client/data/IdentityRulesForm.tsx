import { type FormEvent, useState } from 'react'
import { DataTable } from '../components/DataTable.tsx'
import { PlusIcon } from '../components/icons.tsx'
import { toast } from '../components/toast-store.ts'
import { errorMessage } from '../lib/api.ts'
import { useSaveIdentityRules } from '../queries/identity-rules.ts'
import { defaultNormalize, NORMALIZE_LABELS } from './IdentityRulesTable.tsx'
import { type IdentityField, NORMALIZERS, type Normalizer } from './types.ts'

interface Row {
  key: number
  name: string
  priority: string
  normalize: Normalizer | ''
}

const defaultLabel = (name: string) => `Default: ${NORMALIZE_LABELS[defaultNormalize(name)].toLowerCase()}`

let nextKey = 1
const toRow = (field: IdentityField): Row => ({
  key: nextKey++,
  name: field.name,
  priority: String(field.priority),
  normalize: field.normalize ?? '',
})

/**
 * Edits the identity rules (admins). The server validates them and its message is shown as is;
 * `priority` is sent as typed, so a blank one comes back as the server's error too.
 */
export function IdentityRulesForm({ fields }: { fields: IdentityField[] }) {
  const [rows, setRows] = useState(() => fields.map(toRow))
  const save = useSaveIdentityRules()
  const change = (key: number, patch: Partial<Row>) =>
    setRows((current) => current.map((row) => (row.key === key ? { ...row, ...patch } : row)))
  const add = () =>
    setRows((current) => [
      ...current,
      toRow({ name: '', priority: Math.max(0, ...current.map((row) => Number(row.priority) || 0)) + 1 }),
    ])

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const fields = rows.map((row) => ({
      name: row.name,
      priority: row.priority.trim() === '' ? null : Number(row.priority),
      ...(row.normalize ? { normalize: row.normalize } : {}),
    }))
    // Sent unchecked: the API answers what is wrong with the rules in its own words.
    save.mutate(
      { fields },
      {
        onSuccess: () => toast.success('Identity rules saved. They apply to data unified from now on.'),
      },
    )
  }

  return (
    <form className="form" onSubmit={submit} noValidate>
      <DataTable columns={['Priority', 'Field', 'Values compared', '']} className="rules-table">
        {rows.map((row, index) => (
          <tr key={row.key}>
            <td>
              <input
                className="input input-narrow"
                type="number"
                min={1}
                max={1000}
                aria-label={`Priority of rule ${index + 1}`}
                value={row.priority}
                onChange={(event) => change(row.key, { priority: event.target.value })}
              />
            </td>
            <td>
              <input
                className="input"
                aria-label={`Field of rule ${index + 1}`}
                placeholder="e.g. customer_id"
                value={row.name}
                onChange={(event) => change(row.key, { name: event.target.value })}
              />
            </td>
            <td>
              <select
                className="input"
                aria-label={`Values compared for rule ${index + 1}`}
                value={row.normalize}
                onChange={(event) => change(row.key, { normalize: event.target.value as Normalizer | '' })}
              >
                <option value="">{defaultLabel(row.name)}</option>
                {NORMALIZERS.map((value) => (
                  <option key={value} value={value}>
                    {NORMALIZE_LABELS[value]}
                  </option>
                ))}
              </select>
            </td>
            <td className="row-actions">
              <button
                type="button"
                className="button button-small button-ghost button-ghost-danger"
                aria-label={`Remove rule ${index + 1}`}
                onClick={() => setRows((current) => current.filter((other) => other.key !== row.key))}
              >
                Remove
              </button>
            </td>
          </tr>
        ))}
      </DataTable>
      {save.error && (
        <p className="form-error" role="alert">
          {errorMessage(save.error)}
        </p>
      )}
      <div className="form-actions">
        <button type="button" className="button" onClick={add}>
          <PlusIcon />
          Add field
        </button>
        <button type="submit" className="button button-primary" disabled={save.isPending}>
          Save rules
        </button>
      </div>
    </form>
  )
}
