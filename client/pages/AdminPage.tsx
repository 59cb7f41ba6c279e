import { useState } from 'react'
import { NewTokenDialog } from '../admin/NewTokenDialog.tsx'
import { NewUserDialog } from '../admin/NewUserDialog.tsx'
import { DataTable } from '../components/DataTable.tsx'
import { PageHeader } from '../components/PageHeader.tsx'
import { LoadError, Loading } from '../components/QueryStates.tsx'
import { RelativeTime } from '../components/RelativeTime.tsx'
import { SearchField } from '../components/SearchField.tsx'
import { toast } from '../components/toast-store.ts'
import { errorMessage } from '../lib/api.ts'
import { useAdminMutations, useTokens, useUsers } from '../queries/admin.ts'
import { useSession } from '../queries/auth.ts'
import type { Role } from '../types.ts'

/** Admins: the people who use Sluice and their roles, and the API tokens scripts use. */
export function AdminPage() {
  const users = useUsers()
  const tokens = useTokens()
  const me = useSession(true).data
  const { setRole, setDisabled, deleteUser, revokeToken } = useAdminMutations()
  const [search, setSearch] = useState('')
  const [dialog, setDialog] = useState<'user' | 'token' | null>(null)
  const q = search.trim().toLowerCase()
  const shownUsers = (users.data ?? []).filter((user) =>
    `${user.name} ${user.email}`.toLowerCase().includes(q),
  )
  const fail = (error: unknown) => toast.error(errorMessage(error))

  return (
    <div className="page">
      <PageHeader
        title="Users and tokens"
        subtitle="Who can use Sluice, with which role, and the API tokens of scripts."
      />
      <section className="vault-section" aria-label="Users">
        <div className="section-head">
          <h2>Users</h2>
          <button type="button" className="button button-primary" onClick={() => setDialog('user')}>
            + New user
          </button>
        </div>
        <div className="toolbar">
          <SearchField label="Search users" value={search} onChange={setSearch} />
        </div>
        {users.isPending ? (
          <Loading label="Loading users…" />
        ) : users.isError ? (
          <LoadError error={users.error} onRetry={() => void users.refetch()} />
        ) : (
          <DataTable columns={['Name', 'Email', 'Role', 'Last sign-in', 'Status', '']}>
            {shownUsers.map((user) => (
              <tr key={user.id}>
                <td className="row-title">{user.name}</td>
                <td>{user.email}</td>
                <td>
                  <select
                    aria-label={`Role of ${user.name}`}
                    className="input input-small"
                    value={user.role}
                    onChange={(change) =>
                      setRole.mutate(
                        { id: user.id, role: change.target.value as Role },
                        {
                          onSuccess: () => toast.success(`${user.name} is now ${change.target.value}.`),
                          onError: fail,
                        },
                      )
                    }
                  >
                    <option value="viewer">Viewer</option>
                    <option value="editor">Editor</option>
                    <option value="admin">Admin</option>
                  </select>
                </td>
                <td>
                  <RelativeTime iso={user.lastLoginAt} never={<span className="muted">Never</span>} />
                </td>
                <td>{user.disabled ? <span className="badge status-failed">Disabled</span> : 'Active'}</td>
                <td className="row-actions">
                  {user.id !== me?.id && (
                    <button
                      type="button"
                      className="button button-small"
                      aria-label={`${user.disabled ? 'Enable' : 'Disable'} ${user.name}`}
                      onClick={() =>
                        setDisabled.mutate(
                          { id: user.id, disabled: !user.disabled },
                          {
                            onSuccess: () =>
                              toast.success(
                                user.disabled
                                  ? `${user.name} can sign in again.`
                                  : `${user.name} is disabled: signed out, tokens refused.`,
                              ),
                            onError: fail,
                          },
                        )
                      }
                    >
                      {user.disabled ? 'Enable' : 'Disable'}
                    </button>
                  )}
                  {user.id !== me?.id && (
                    <button
                      type="button"
                      className="button button-small button-danger"
                      aria-label={`Remove ${user.name}`}
                      onClick={() =>
                        deleteUser.mutate(user.id, {
                          onSuccess: () => toast.success(`${user.name} removed.`),
                          onError: fail,
                        })
                      }
                    >
                      Remove
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </section>

      <section className="vault-section" aria-label="API tokens">
        <div className="section-head">
          <h2>API tokens</h2>
          <button type="button" className="button" onClick={() => setDialog('token')}>
            + New token
          </button>
        </div>
        {tokens.isPending ? (
          <Loading label="Loading tokens…" />
        ) : tokens.isError ? (
          <LoadError error={tokens.error} onRetry={() => void tokens.refetch()} />
        ) : tokens.data.length === 0 ? (
          <p className="muted">
            No tokens yet. Scripts use a token instead of a password, with a role of their own.
          </p>
        ) : (
          <DataTable columns={['Name', 'Starts with', 'Role', 'Created', 'Last used', '']}>
            {tokens.data.map((token) => (
              <tr key={token.id}>
                <td className="row-title">{token.name}</td>
                <td>
                  <code>{token.prefix}…</code>
                </td>
                <td className="capitalize">{token.role}</td>
                <td>
                  <RelativeTime iso={token.createdAt} />
                </td>
                <td>
                  <RelativeTime iso={token.lastUsedAt} never={<span className="muted">Never</span>} />
                </td>
                <td>
                  <button
                    type="button"
                    className="button button-small button-danger"
                    aria-label={`Revoke ${token.name}`}
                    onClick={() =>
                      revokeToken.mutate(token.id, {
                        onSuccess: () => toast.success(`${token.name} revoked.`),
                        onError: fail,
                      })
                    }
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </section>
      {dialog === 'user' && <NewUserDialog onClose={() => setDialog(null)} />}
      {dialog === 'token' && <NewTokenDialog onClose={() => setDialog(null)} />}
    </div>
  )
}
