import { type FormEvent, useState } from 'react'
import { Dialog } from '../components/Dialog.tsx'
import { DialogActions } from '../components/DialogActions.tsx'
import { Field } from '../components/Field.tsx'
import { FormError } from '../components/FormError.tsx'
import { toast } from '../components/toast-store.ts'
import { SchemaForm } from '../forms/SchemaForm.tsx'
import { type AuthorizationSummary, useUpdateAuthorization } from '../queries/authorizations.ts'
import type { ProviderInfo } from '../types.ts'

/** Whether a JSON Schema property is a secret (the catalogue marks them `"secret": true`). */
const isSecret = (schema: unknown) => Boolean((schema as { secret?: boolean } | undefined)?.secret)

/**
 * Edits an authorization: `rename` changes its name and description; `rotate` replaces its
 * credentials through the method's form — the non-secret fields filled in, every secret typed anew
 * (the stored ones never leave the server).
 */
export function EditAuthorizationDialog({
  authorization,
  provider,
  mode,
  onClose,
}: {
  authorization: AuthorizationSummary
  provider: ProviderInfo | undefined
  mode: 'rename' | 'rotate'
  onClose: () => void
}) {
  const update = useUpdateAuthorization(authorization.id)
  const [name, setName] = useState(authorization.name)
  const [description, setDescription] = useState(authorization.description ?? '')
  const method = provider?.authMethods.find((candidate) => candidate.id === authorization.method)
  const properties = (method?.schema.properties ?? {}) as Record<string, unknown>
  const [credentials, setCredentials] = useState<Record<string, unknown>>(() =>
    Object.fromEntries(
      Object.entries(authorization.fields ?? {}).filter(([key]) => !isSecret(properties[key])),
    ),
  )

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const patch = mode === 'rename' ? { name: name.trim(), description: description.trim() } : { credentials }
    update.mutate(patch, {
      onSuccess: () => {
        toast.success(mode === 'rename' ? 'Authorization saved.' : 'Credentials rotated.')
        onClose()
      },
    })
  }

  return (
    <Dialog
      title={mode === 'rename' ? `Edit ${authorization.name}` : `Rotate ${authorization.name}`}
      onClose={onClose}
      size={mode === 'rotate' ? 'large' : 'small'}
    >
      <form className="dialog-body" onSubmit={submit} noValidate>
        {mode === 'rename' ? (
          <>
            <Field
              label="Name"
              value={name}
              maxLength={200}
              onChange={(change) => setName(change.target.value)}
            />
            <Field
              label="Description"
              value={description}
              maxLength={2000}
              onChange={(change) => setDescription(change.target.value)}
            />
          </>
        ) : method ? (
          <>
            <p className="field-hint">
              Enter the new credentials. Secrets are typed anew: Sluice never shows the stored ones. Jobs
              using this authorization pick up the new credentials on their next run.
            </p>
            <SchemaForm
              schema={method.schema}
              value={credentials}
              onChange={setCredentials}
              idPrefix="rotate"
            />
          </>
        ) : (
          <p className="field-hint">This provider's sign-in method is no longer offered.</p>
        )}
        <FormError error={update.error} />
        <DialogActions
          label={mode === 'rename' ? 'Save' : 'Rotate credentials'}
          onCancel={onClose}
          busy={update.isPending || (mode === 'rename' ? !name.trim() : !method)}
        />
      </form>
    </Dialog>
  )
}
