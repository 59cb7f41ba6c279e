import { ProviderIcon } from '../components/ProviderIcon.tsx'
import { RelativeTime } from '../components/RelativeTime.tsx'
import { plural } from '../format.ts'
import { errorMessage } from '../lib/api.ts'
import { type AuthorizationSummary, useTestAuthorization } from '../queries/authorizations.ts'
import type { ProviderInfo } from '../types.ts'

export type RowAction = 'rename' | 'rotate' | 'delete'

/** One authorization: who and what it is, the jobs using it, and its actions with the last test's result. */
export function AuthorizationRow({
  authorization,
  provider,
  canEdit,
  onAction,
}: {
  authorization: AuthorizationSummary
  provider: ProviderInfo | undefined
  canEdit: boolean
  onAction: (action: RowAction) => void
}) {
  const test = useTestAuthorization(authorization.id)
  const method = provider?.authMethods.find((candidate) => candidate.id === authorization.method)
  const oauth = authorization.method === 'oauth2'
  const used = authorization.usedBy?.length ?? 0
  const reconnect = `/api/oauth/${encodeURIComponent(authorization.provider)}/start?${new URLSearchParams({
    authorizationId: authorization.id,
    returnTo: '/vault',
  })}`
  return (
    <tr>
      <td>
        <div className="row-title">{authorization.name}</div>
        {authorization.description && <div className="muted">{authorization.description}</div>}
        {authorization.error && (
          <div className="field-error" role="status">
            {authorization.error}
          </div>
        )}
      </td>
      <td>
        <span className="provider-cell">
          <ProviderIcon svg={provider?.icon} size={20} />
          {provider?.title ?? authorization.provider}
        </span>
      </td>
      <td className="muted">{method?.title ?? authorization.method}</td>
      <td className="muted">{authorization.createdByName ?? 'a removed user'}</td>
      <td className="muted">
        <RelativeTime iso={authorization.createdAt} />
      </td>
      <td>{used ? plural(used, 'job') : <span className="muted">Unused</span>}</td>
      <td>
        <div className="row-actions">
          <button
            type="button"
            className="button button-small"
            disabled={test.isPending}
            onClick={() => test.mutate()}
            aria-label={`Test ${authorization.name}`}
          >
            {test.isPending ? 'Testing…' : 'Test'}
          </button>
          {canEdit && (
            <>
              <button
                type="button"
                className="button button-small"
                onClick={() => onAction('rename')}
                aria-label={`Edit ${authorization.name}`}
              >
                Edit
              </button>
              {oauth ? (
                <a
                  className="button button-small"
                  href={reconnect}
                  aria-label={`Reconnect ${authorization.name}`}
                >
                  Reconnect
                </a>
              ) : (
                <button
                  type="button"
                  className="button button-small"
                  onClick={() => onAction('rotate')}
                  aria-label={`Rotate ${authorization.name}`}
                >
                  Rotate
                </button>
              )}
              <button
                type="button"
                className="button button-small button-danger"
                onClick={() => onAction('delete')}
                aria-label={`Delete ${authorization.name}`}
              >
                Delete
              </button>
            </>
          )}
        </div>
        {test.data && (
          <p className={test.data.ok ? 'test-result test-ok' : 'test-result test-failed'} role="status">
            {test.data.ok ? '✓ ' : '✗ '}
            {test.data.message}
          </p>
        )}
        {test.isError && (
          <p className="test-result test-failed" role="status">
            ✗ {errorMessage(test.error)}
          </p>
        )}
      </td>
    </tr>
  )
}
