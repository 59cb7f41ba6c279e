import { useState } from 'react'
import { toast } from '../components/toast-store.ts'
import { formatDateTime } from '../format.ts'
import { errorMessage } from '../lib/api.ts'
import { type AlertRule, useAlertDeliveries, useAlertRuleActions } from '../queries/alerts.ts'
import { describeCondition } from './describe.ts'

const COLUMNS = 5

/** One rule: what it watches and when it fires, its targets, on/off, test, delete and its deliveries. */
export function AlertRuleRow({
  rule,
  jobName,
  canEdit,
}: {
  rule: AlertRule
  jobName: string | undefined
  canEdit: boolean
}) {
  const [open, setOpen] = useState(false)
  const actions = useAlertRuleActions(rule.id)
  const deliveries = useAlertDeliveries(open ? rule.id : null)
  const test = () =>
    actions.test.mutate(undefined, {
      onSuccess: ({ results }) => {
        const failed = results.filter((result) => !result.ok)
        if (failed.length === 0)
          toast.success(`Test alert sent to ${results.length === 1 ? 'its target' : 'every target'}.`)
        else toast.error(`Test failed: ${failed.map((result) => result.error).join('; ')}`)
      },
      onError: (error) => toast.error(errorMessage(error)),
    })
  return (
    <>
      <tr>
        <td>
          <div className="row-title">{rule.name}</div>
          <div className="muted">
            {rule.jobId ? (jobName ?? 'a removed job') : 'Every job'}: {describeCondition(rule.condition)}
          </div>
        </td>
        <td>
          {rule.targets.map((target, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: targets are addressed by their place
            <div key={index}>
              {target.type === 'webhook' ? `Webhook ${target.url}` : `Email ${target.to.join(', ')}`}
            </div>
          ))}
        </td>
        <td>
          {rule.openEpisodes > 0 ? (
            <span className="badge status-failed">Firing for {rule.openEpisodes}</span>
          ) : (
            <span className="muted">Quiet</span>
          )}
        </td>
        <td>
          <label className="checkbox-row">
            <input
              type="checkbox"
              checked={rule.enabled}
              disabled={!canEdit || actions.toggle.isPending}
              onChange={(change) => actions.toggle.mutate(change.target.checked)}
            />
            {rule.enabled ? 'On' : 'Off'}
          </label>
        </td>
        <td>
          <div className="row-actions">
            <button
              type="button"
              className="button button-small"
              aria-expanded={open}
              aria-label={`Deliveries of ${rule.name}`}
              onClick={() => setOpen(!open)}
            >
              Deliveries
            </button>
            {canEdit && (
              <>
                <button
                  type="button"
                  className="button button-small"
                  disabled={actions.test.isPending}
                  aria-label={`Send a test of ${rule.name}`}
                  onClick={test}
                >
                  Test
                </button>
                <button
                  type="button"
                  className="button button-small button-danger"
                  aria-label={`Delete ${rule.name}`}
                  onClick={() => actions.remove.mutate()}
                >
                  Delete
                </button>
              </>
            )}
          </div>
        </td>
      </tr>
      {open && (
        <tr className="subrow">
          <td colSpan={COLUMNS}>
            {deliveries.data?.length === 0 && <p className="muted">Nothing delivered yet.</p>}
            {deliveries.data && deliveries.data.length > 0 && (
              <table className="table table-compact" aria-label={`Deliveries of ${rule.name}`}>
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Alert</th>
                    <th scope="col">To</th>
                    <th scope="col">Status</th>
                    <th scope="col">Attempts</th>
                  </tr>
                </thead>
                <tbody>
                  {deliveries.data.map((delivery) => (
                    <tr key={delivery.id}>
                      <td>{formatDateTime(delivery.createdAt)}</td>
                      <td>{delivery.summary}</td>
                      <td>{delivery.kind}</td>
                      <td title={delivery.lastError ?? undefined}>
                        {delivery.status}
                        {delivery.status === 'pending' && delivery.nextAttemptAt
                          ? `, retry ${formatDateTime(delivery.nextAttemptAt)}`
                          : ''}
                        {delivery.lastError ? ` — ${delivery.lastError}` : ''}
                      </td>
                      <td>{delivery.attempts}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </td>
        </tr>
      )}
    </>
  )
}
