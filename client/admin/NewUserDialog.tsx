import { type FormEvent, useState } from 'react'
import { Dialog } from '../components/Dialog.tsx'
import { DialogActions } from '../components/DialogActions.tsx'
import { Field } from '../components/Field.tsx'
import { FormError } from '../components/FormError.tsx'
import { SelectField } from '../components/SelectField.tsx'
import { toast } from '../components/toast-store.ts'
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
        <SelectField label="Role" value={role} options={ROLES} onChange={setRole} />
        <FormError error={createUser.error} />
        <DialogActions label="Create user" onCancel={onClose} busy={createUser.isPending} />
      </form>
    </Dialog>
  )
}
