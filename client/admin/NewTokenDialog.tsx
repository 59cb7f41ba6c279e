import { type FormEvent, useState } from 'react'
import { CopyButton } from '../components/CopyButton.tsx'
import { Dialog } from '../components/Dialog.tsx'
import { DialogActions } from '../components/DialogActions.tsx'
import { Field } from '../components/Field.tsx'
import { FormError } from '../components/FormError.tsx'
import { SelectField } from '../components/SelectField.tsx'
import { useAdminMutations } from '../queries/admin.ts'
import type { Role } from '../types.ts'
import { ROLES } from './NewUserDialog.tsx'

/** Creates an API token for scripts and shows its value this once. */
export function NewTokenDialog({ onClose }: { onClose: () => void }) {
  const { createToken } = useAdminMutations()
  const [name, setName] = useState('')
  const [role, setRole] = useState<Role>('viewer')
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
        <SelectField label="Role" value={role} options={ROLES} onChange={setRole} />
        <FormError error={createToken.error} />
        <DialogActions label="Create token" onCancel={onClose} busy={createToken.isPending || !name.trim()} />
      </form>
    </Dialog>
  )
}
