import { useState } from 'react'
import { Dialog } from '../../components/Dialog.tsx'
import { Field } from '../../components/Field.tsx'
import { SchemaForm } from '../../forms/SchemaForm.tsx'
import { errorMessage } from '../../lib/api.ts'
import { type AuthorizationSummary, useCreateAuthorization } from '../../queries/authorizations.ts'
import type { ProviderInfo } from '../../types.ts'

/**
 * The Vault's form in a dialog: a name, the auth method and its credentials (a form generated from
 * the method's schema). Saving stores the authorization sealed; the secrets never come back.
 */
export function NewAuthorizationDialog({
  provider,
  onCreated,
  onClose,
}: {
  provider: ProviderInfo
  onCreated: (authorization: AuthorizationSummary) => void
  onClose: () => void
}) {
  const create = useCreateAuthorization()
  const [name, setName] = useState(`${provider.title} account`)
  const [methodId, setMethodId] = useState(provider.authMethods[0]?.id ?? '')
  const [credentials, setCredentials] = useState<Record<string, unknown>>({})
  const method = provider.authMethods.find((candidate) => candidate.id === methodId)

  const save = () =>
    create.mutate(
      { name: name.trim(), provider: provider.id, method: methodId, credentials },
      { onSuccess: onCreated },
    )

  return (
    <Dialog title={`New ${provider.title} authorization`} onClose={onClose} size="large">
      <form
        className="dialog-body"
        onSubmit={(event) => {
          event.preventDefault()
          save()
        }}
      >
        <Field label="Name" value={name} onChange={(event) => setName(event.target.value)} required />
        {provider.authMethods.length > 1 && (
          <div className="field">
            <label className="field-label" htmlFor="new-authorization-method">
              Method
            </label>
            <select
              id="new-authorization-method"
              className="input"
              value={methodId}
              onChange={(event) => {
                setMethodId(event.target.value)
                setCredentials({})
              }}
            >
              {provider.authMethods.map((candidate) => (
                <option key={candidate.id} value={candidate.id}>
                  {candidate.title}
                </option>
              ))}
            </select>
          </div>
        )}
        {method?.id === 'oauth2' && (
          <p className="field-hint">
            This method signs in at {provider.title}:{' '}
            <a
              href={`/api/oauth/${encodeURIComponent(provider.id)}/start?returnTo=${encodeURIComponent(location.pathname)}`}
            >
              connect with {provider.title}
            </a>
            .
          </p>
        )}
        {method && method.id !== 'oauth2' && (
          <SchemaForm
            key={method.id}
            schema={method.schema}
            value={credentials}
            onChange={setCredentials}
            idPrefix="credentials"
          />
        )}
        {create.isError && (
          <p className="form-error" role="alert">
            {errorMessage(create.error)}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={create.isPending || !name.trim()}>
            {create.isPending ? 'Saving…' : 'Save authorization'}
          </button>
        </div>
      </form>
    </Dialog>
  )
}
