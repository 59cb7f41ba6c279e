import { type FormEvent, useId, useState } from 'react'
import { CopyButton } from '../components/CopyButton.tsx'
import { Dialog } from '../components/Dialog.tsx'
import { Field } from '../components/Field.tsx'
import { errorMessage } from '../lib/api.ts'
import { useAdminMutations } from '../queries/admin.ts'
import type { Role } from '../types.ts'
import { ROLES } from './NewUserDialog.tsx'

/** Creates an API token for scripts and shows its value this once. */
export function NewTokenDialog({ onClose }: { onClose: () => void }) {
  const { createToken } = useAdminMutations()
  const [name, setName] = useState('')
  const [role, setRole] = useState<Role>('viewer')
  const roleId = useId()
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    createToken.mutate({ name: name.trim(), role })
  }
  const token = createToken.data?.token
  if (token)
    return (
      <Dialog title="API token created" onClose={onClose}>
        <div className="dialog-body">
          <p>Send it as "Authorization: Bearer …". Copy it now: it won't be shown again.</p>
          <div className="secret-box">
            <code data-testid="token-value">{token}</code>
            <CopyButton text={token} what="token" />
          </div>
          <div className="dialog-actions">
            <button type="button" className="button button-primary" onClick={onClose}>
              I have copied it
            </button>
          </div>
        </div>
      </Dialog>
    )
  return (
    <Dialog title="New API token" onClose={onClose}>
      <form className="dialog-body" onSubmit={submit} noValidate>
        <Field
          label="Name"
          value={name}
          maxLength={200}
          placeholder="e.g. Nightly report script"
          onChange={(change) => setName(change.target.value)}
        />
        <div className="field">
          <label className="field-label" htmlFor={roleId}>
            Role
          </label>
          <select
            id={roleId}
            className="input"
            value={role}
            onChange={(change) => setRole(change.target.value as Role)}
          >
            {ROLES.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        {createToken.isError && (
          <p className="form-error" role="alert">
            {errorMessage(createToken.error)}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            className="button button-primary"
            disabled={createToken.isPending || !name.trim()}
          >
            Create token
          </button>
        </div>
      </form>
    </Dialog>
  )
}
