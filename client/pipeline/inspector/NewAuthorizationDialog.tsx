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
  provider: fixed,
  providers = [],
  onCreated,
  onClose,
}: {
  /** The provider it is for; without one (the Vault page) the dialog asks, from `providers`. */
  provider?: ProviderInfo
  providers?: readonly ProviderInfo[]
  onCreated: (authorization: AuthorizationSummary) => void
  onClose: () => void
}) {
  const create = useCreateAuthorization()
  const [provider, setProvider] = useState<ProviderInfo | undefined>(fixed)
  const [name, setName] = useState(fixed ? `${fixed.title} account` : '')
  const [description, setDescription] = useState('')
  const [methodId, setMethodId] = useState(fixed?.authMethods[0]?.id ?? '')
  const [credentials, setCredentials] = useState<Record<string, unknown>>({})
  const method = provider?.authMethods.find((candidate) => candidate.id === methodId)

  const choose = (id: string) => {
    const next = providers.find((candidate) => candidate.id === id)
    setProvider(next)
    setName(next ? `${next.title} account` : '')
    setMethodId(next?.authMethods[0]?.id ?? '')
    setCredentials({})
  }
  const save = () => {
    if (!provider) return
    create.mutate(
      {
        name: name.trim(),
        ...(description.trim() ? { description: description.trim() } : {}),
        provider: provider.id,
        method: methodId,
        credentials,
      },
      { onSuccess: onCreated },
    )
  }
  const connect = provider
    ? `/api/oauth/${encodeURIComponent(provider.id)}/start?${new URLSearchParams({
        returnTo: location.pathname,
        ...(name.trim() ? { name: name.trim() } : {}),
      })}`
    : ''

  return (
    <Dialog
      title={fixed ? `New ${fixed.title} authorization` : 'New authorization'}
      onClose={onClose}
      size="large"
    >
      <form
        className="dialog-body"
        onSubmit={(event) => {
          event.preventDefault()
          save()
        }}
      >
        {!fixed && (
          <div className="field">
            <label className="field-label" htmlFor="new-authorization-provider">
              Provider
            </label>
            <select
              id="new-authorization-provider"
              className="input"
              value={provider?.id ?? ''}
              onChange={(event) => choose(event.target.value)}
            >
              <option value="">Choose a provider…</option>
              {providers.map((candidate) => (
                <option key={candidate.id} value={candidate.id}>
                  {candidate.title}
                </option>
              ))}
            </select>
          </div>
        )}
        {provider && (
          <>
            <Field label="Name" value={name} onChange={(event) => setName(event.target.value)} required />
            <Field
              label="Description"
              value={description}
              maxLength={2000}
              hint="Optional. Which account this is, and what for."
              onChange={(event) => setDescription(event.target.value)}
            />
          </>
        )}
        {provider && provider.authMethods.length > 1 && (
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
        {provider && method?.id === 'oauth2' && (
          <p className="field-hint">
            This method signs in at {provider.title}:{' '}
            <a className="button button-primary button-small" href={connect}>
              Connect with {provider.title}
            </a>
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
          <button
            type="submit"
            className="button button-primary"
            disabled={create.isPending || !provider || !name.trim() || method?.id === 'oauth2'}
          >
            {create.isPending ? 'Saving…' : 'Save authorization'}
          </button>
        </div>
      </form>
    </Dialog>
  )
}
