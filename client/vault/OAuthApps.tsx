import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { DataTable } from '../components/DataTable.tsx'
import { Dialog } from '../components/Dialog.tsx'
import { DialogActions } from '../components/DialogActions.tsx'
import { Field } from '../components/Field.tsx'
import { FormError } from '../components/FormError.tsx'
import { toast } from '../components/toast-store.ts'
import { api } from '../lib/api.ts'
import type { ProviderInfo } from '../types.ts'

interface OAuthApp {
  provider: string
  clientId: string
  authorizeUrl: string
  tokenUrl: string
  scopes: string[]
  apiUrl: string | null
  appFields: Record<string, unknown>
  redirectUri: string
  updatedAt: string
}

const appsKey = ['oauth', 'clients'] as const

/**
 * Admins register each OAuth2 provider's app (client id and secret) here, once, before anyone can
 * connect an account; the redirect URI to give the provider is shown with it.
 */
export function OAuthApps({ providers }: { providers: readonly ProviderInfo[] }) {
  const apps = useQuery({
    queryKey: appsKey,
    queryFn: ({ signal }) => api.get<OAuthApp[]>('/api/oauth/clients', undefined, signal),
  })
  const [editing, setEditing] = useState<ProviderInfo | null>(null)
  const oauthProviders = providers.filter((provider) => provider.authMethods.some((m) => m.id === 'oauth2'))
  if (oauthProviders.length === 0) return null
  return (
    <section className="vault-section" aria-label="OAuth apps">
      <h2>OAuth apps</h2>
      <p className="field-hint">
        Providers that sign in with OAuth2 need their app registered once by an admin. Give the provider the
        redirect URI shown here.
      </p>
      <DataTable columns={['Provider', 'Client ID', 'Redirect URI', '']} className="table-compact">
        {oauthProviders.map((provider) => {
          const app = apps.data?.find((entry) => entry.provider === provider.id)
          return (
            <tr key={provider.id}>
              <td>{provider.title}</td>
              <td>{app ? <code>{app.clientId}</code> : <span className="muted">Not set up</span>}</td>
              <td>{app ? <code>{app.redirectUri}</code> : <span className="muted">—</span>}</td>
              <td>
                <button
                  type="button"
                  className="button button-small"
                  onClick={() => setEditing(provider)}
                  aria-label={`${app ? 'Change' : 'Set up'} the ${provider.title} OAuth app`}
                >
                  {app ? 'Change' : 'Set up'}
                </button>
              </td>
            </tr>
          )
        })}
      </DataTable>
      {editing && (
        <OAuthAppDialog
          provider={editing}
          app={apps.data?.find((entry) => entry.provider === editing.id)}
          onClose={() => setEditing(null)}
        />
      )}
    </section>
  )
}

function OAuthAppDialog({
  provider,
  app,
  onClose,
}: {
  provider: ProviderInfo
  app: OAuthApp | undefined
  onClose: () => void
}) {
  const client = useQueryClient()
  const [clientId, setClientId] = useState(app?.clientId ?? '')
  const [clientSecret, setClientSecret] = useState('')
  const [authorizeUrl, setAuthorizeUrl] = useState(app?.authorizeUrl ?? '')
  const [tokenUrl, setTokenUrl] = useState(app?.tokenUrl ?? '')
  const [scopes, setScopes] = useState((app?.scopes ?? []).join(' '))
  const [apiUrl, setApiUrl] = useState(app?.apiUrl ?? '')
  const appFields = appFieldsOf(provider)
  // Stored secrets show empty; sending `{ set: true }` for one left empty keeps it.
  const [appValues, setAppValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(
      appFields.map((field) => {
        const stored = app?.appFields[field.name]
        return [field.name, typeof stored === 'string' ? stored : '']
      }),
    ),
  )
  const save = useMutation({
    mutationFn: () =>
      api.put(`/api/oauth/clients/${encodeURIComponent(provider.id)}`, {
        clientId: clientId.trim(),
        ...(clientSecret ? { clientSecret } : {}),
        ...(authorizeUrl.trim() ? { authorizeUrl: authorizeUrl.trim() } : {}),
        ...(tokenUrl.trim() ? { tokenUrl: tokenUrl.trim() } : {}),
        scopes: scopes.split(/[\s,]+/).filter(Boolean),
        ...(apiUrl.trim() ? { apiUrl: apiUrl.trim() } : {}),
        ...(appFields.length
          ? {
              appFields: Object.fromEntries(
                appFields
                  .map((field) => {
                    const value = appValues[field.name]!.trim()
                    if (value) return [field.name, value]
                    return field.secret && app?.appFields[field.name] ? [field.name, { set: true }] : null
                  })
                  .filter((entry) => entry !== null),
              ),
            }
          : {}),
      }),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: appsKey })
      toast.success(`${provider.title} OAuth app saved.`)
      onClose()
    },
    meta: { inlineErrors: true },
  })
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    save.mutate()
  }
  return (
    <Dialog title={`${provider.title} OAuth app`} onClose={onClose}>
      <form className="dialog-body" onSubmit={submit} noValidate>
        <Field
          label="Client ID"
          value={clientId}
          maxLength={500}
          onChange={(e) => setClientId(e.target.value)}
        />
        <Field
          label="Client secret"
          type="password"
          autoComplete="off"
          value={clientSecret}
          maxLength={2000}
          hint={app ? 'Leave empty to keep the stored secret.' : 'Required the first time.'}
          onChange={(e) => setClientSecret(e.target.value)}
        />
        <Field
          label="Authorize URL"
          value={authorizeUrl}
          hint="Leave as is unless you use a sandbox."
          onChange={(e) => setAuthorizeUrl(e.target.value)}
        />
        <Field label="Token URL" value={tokenUrl} onChange={(e) => setTokenUrl(e.target.value)} />
        <Field
          label="Scopes"
          value={scopes}
          hint="Separated by spaces."
          onChange={(e) => setScopes(e.target.value)}
        />
        <Field
          label="API URL"
          value={apiUrl}
          hint={`Leave empty for ${provider.title}'s own API; set it for a sandbox.`}
          onChange={(e) => setApiUrl(e.target.value)}
        />
        {appFields.map((field) => (
          <Field
            key={field.name}
            label={field.title}
            type={field.secret ? 'password' : 'text'}
            autoComplete="off"
            value={appValues[field.name] ?? ''}
            hint={[
              field.description,
              field.secret && app?.appFields[field.name] ? 'Leave empty to keep the stored value.' : '',
            ]
              .filter(Boolean)
              .join(' ')}
            onChange={(e) => setAppValues((values) => ({ ...values, [field.name]: e.target.value }))}
          />
        ))}
        <FormError error={save.error} />
        <DialogActions label="Save" onCancel={onClose} busy={save.isPending || !clientId.trim()} />
      </form>
    </Dialog>
  )
}

/** The fields of the provider's OAuth app its catalogue entry declares (`appSchema`). */
function appFieldsOf(provider: ProviderInfo) {
  const schema = provider.authMethods.find((method) => method.id === 'oauth2')?.appSchema
  const properties = (schema?.properties ?? {}) as Record<
    string,
    { title?: string; description?: string; secret?: boolean }
  >
  return Object.entries(properties).map(([name, property]) => ({
    name,
    title: property.title ?? name,
    description: property.description ?? '',
    secret: property.secret === true,
  }))
}
