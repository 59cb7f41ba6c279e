import { type FormEvent, useId, useState } from 'react'
import { Dialog } from '../components/Dialog.tsx'
import { Field } from '../components/Field.tsx'
import { toast } from '../components/toast-store.ts'
import { errorMessage } from '../lib/api.ts'
import { useAdminMutations } from '../queries/admin.ts'
import type { Role } from '../types.ts'

export const ROLES: [Role, string][] = [
  ['viewer', 'Viewer: sees everything, changes nothing'],
  ['editor', 'Editor: builds and runs pipelines'],
  ['admin', 'Admin: also manages users, tokens and keys'],
]

/** Adds a person with a first password they change after signing in. */
export function NewUserDialog({ onClose }: { onClose: () => void }) {
  const { createUser } = useAdminMutations()
  const [name, setName] = useState('')
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [role, setRole] = useState<Role>('editor')
  const roleId = useId()
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    createUser.mutate(
      { name: name.trim(), email: email.trim(), password, role },
      {
        onSuccess: (user) => {
          toast.success(`${user.name} can now sign in as ${user.email}.`)
          onClose()
        },
      },
    )
  }
  return (
    <Dialog title="New user" onClose={onClose}>
      <form className="dialog-body" onSubmit={submit} noValidate>
        <Field
          label="Name"
          value={name}
          maxLength={200}
          onChange={(change) => setName(change.target.value)}
        />
        <Field
          label="Email"
          type="email"
          value={email}
          onChange={(change) => setEmail(change.target.value)}
        />
        <Field
          label="First password"
          type="password"
          autoComplete="new-password"
          hint="At least 8 characters. Give it to them; they can change it."
          value={password}
          onChange={(change) => setPassword(change.target.value)}
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
        {createUser.isError && (
          <p className="form-error" role="alert">
            {errorMessage(createUser.error)}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={createUser.isPending}>
            Create user
          </button>
        </div>
      </form>
    </Dialog>
  )
}
