import { useEffect, useId, useState } from 'react'
import { useSearchParams } from 'react-router'
import { DataTable } from '../components/DataTable.tsx'
import { EmptyState } from '../components/EmptyState.tsx'
import { VaultIcon } from '../components/icons.tsx'
import { PageHeader } from '../components/PageHeader.tsx'
import { LoadError, Loading } from '../components/QueryStates.tsx'
import { SearchField } from '../components/SearchField.tsx'
import { toast } from '../components/toast-store.ts'
import { useDebouncedValue } from '../hooks/useDebouncedValue.ts'
import { NewAuthorizationDialog } from '../pipeline/inspector/NewAuthorizationDialog.tsx'
import { useHasRole } from '../queries/auth.ts'
import { type AuthorizationSummary, useAuthorizations } from '../queries/authorizations.ts'
import { useProviders } from '../queries/providers.ts'
import { AuthorizationRow, type RowAction } from '../vault/AuthorizationRow.tsx'
import { DeleteAuthorizationDialog } from '../vault/DeleteAuthorizationDialog.tsx'
import { EditAuthorizationDialog } from '../vault/EditAuthorizationDialog.tsx'
import { OAuthApps } from '../vault/OAuthApps.tsx'

/** Authorizations (DESIGN.md §6): the credentials Sluice uses, sealed; secrets never come back. */
export function VaultPage() {
  const [search, setSearch] = useState('')
  const [provider, setProvider] = useState('')
  const q = useDebouncedValue(search.trim())
  const authorizations = useAuthorizations(provider || undefined, q)
  const providers = useProviders()
  const canEdit = useHasRole('editor')
  const isAdmin = useHasRole('admin')
  const providerId = useId()
  const [creating, setCreating] = useState(false)
  const [acting, setActing] = useState<{ action: RowAction; authorization: AuthorizationSummary } | null>(
    null,
  )
  const [params, setParams] = useSearchParams()

  // Back from an OAuth2 connection: say how it went, once.
  const connected = params.get('authorization')
  const oauthError = params.get('oauthError')
  useEffect(() => {
    if (!connected && !oauthError) return
    if (connected) toast.success('Account connected and saved in the Vault.')
    if (oauthError) toast.error(`Could not connect: ${oauthError}`)
    setParams({}, { replace: true })
  }, [connected, oauthError, setParams])

  // Providers that take credentials: "none" needs no authorization.
  const credentialed = (providers.data ?? []).filter((entry) =>
    entry.authMethods.some((method) => method.id !== 'none'),
  )
  const providerOf = (id: string) => providers.data?.find((entry) => entry.id === id)
  const filtered = q !== '' || provider !== ''
  const list = authorizations.data ?? []

  return (
    <div className="page">
      <PageHeader
        title="Vault"
        subtitle="Authorizations: the credentials Sluice uses to reach your tools, encrypted at rest."
        actions={
          canEdit && (
            <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
              + New authorization
            </button>
          )
        }
      />
      <div className="toolbar">
        <SearchField label="Search authorizations" value={search} onChange={setSearch} />
        <div className="select-field">
          <label htmlFor={providerId}>Provider</label>
          <select
            id={providerId}
            className="input"
            value={provider}
            onChange={(event) => setProvider(event.target.value)}
          >
            <option value="">All providers</option>
            {credentialed.map((entry) => (
              <option key={entry.id} value={entry.id}>
                {entry.title}
              </option>
            ))}
          </select>
        </div>
      </div>

      {authorizations.isPending ? (
        <Loading label="Loading authorizations…" />
      ) : authorizations.isError ? (
        <LoadError error={authorizations.error} onRetry={() => void authorizations.refetch()} />
      ) : list.length === 0 ? (
        filtered ? (
          <EmptyState icon={<VaultIcon size={28} />} title="No authorizations match">
            <p>Try another search or provider.</p>
          </EmptyState>
        ) : (
          <EmptyState
            icon={<VaultIcon size={28} />}
            title="No authorizations yet"
            actions={
              canEdit && (
                <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
                  Add an authorization
                </button>
              )
            }
          >
            <p>
              An authorization holds the API key, login or OAuth connection for one provider. Pipelines refer
              to it by an authorization node, so secrets never appear in a pipeline and are never shown again
              after you save them.
            </p>
          </EmptyState>
        )
      ) : (
        <DataTable columns={['Name', 'Provider', 'Method', 'Created by', 'Created', 'Used by', '']}>
          {list.map((authorization) => (
            <AuthorizationRow
              key={authorization.id}
              authorization={authorization}
              provider={providerOf(authorization.provider)}
              canEdit={canEdit}
              onAction={(action) => setActing({ action, authorization })}
            />
          ))}
        </DataTable>
      )}

      {isAdmin && providers.data && <OAuthApps providers={providers.data} />}

      {creating && (
        <NewAuthorizationDialog
          providers={credentialed}
          onCreated={(created) => {
            toast.success(`${created.name} saved in the Vault.`)
            setCreating(false)
          }}
          onClose={() => setCreating(false)}
        />
      )}
      {acting?.action === 'delete' && (
        <DeleteAuthorizationDialog authorization={acting.authorization} onClose={() => setActing(null)} />
      )}
      {(acting?.action === 'rename' || acting?.action === 'rotate') && (
        <EditAuthorizationDialog
          authorization={acting.authorization}
          provider={providerOf(acting.authorization.provider)}
          mode={acting.action}
          onClose={() => setActing(null)}
        />
      )}
    </div>
  )
}
