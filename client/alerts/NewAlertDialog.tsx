import { type FormEvent, useId, useState } from 'react'
import { CopyButton } from '../components/CopyButton.tsx'
import { Dialog } from '../components/Dialog.tsx'
import { DialogActions } from '../components/DialogActions.tsx'
import { Field } from '../components/Field.tsx'
import { FormError } from '../components/FormError.tsx'
import { type AlertCondition, useCreateAlertRule } from '../queries/alerts.ts'
import { useJobs } from '../queries/jobs.ts'

type Kind = AlertCondition['kind']

/** A new alert rule: what to watch, when to fire, and where to send it (a webhook or email). */
export function NewAlertDialog({ onClose }: { onClose: () => void }) {
  const create = useCreateAlertRule()
  const jobs = useJobs({ type: 'import', q: '', status: '', provider: '', jobType: '', sort: 'name' })
  const exportsList = useJobs({ type: 'export', q: '', status: '', provider: '', jobType: '', sort: 'name' })
  const [name, setName] = useState('')
  const [jobId, setJobId] = useState('')
  const [kind, setKind] = useState<Kind>('failed')
  const [errors, setErrors] = useState('3')
  const [longerThan, setLongerThan] = useState('1h')
  const [percent, setPercent] = useState('10')
  const [targetType, setTargetType] = useState<'webhook' | 'email'>('webhook')
  const [url, setUrl] = useState('')
  const [emails, setEmails] = useState('')
  const ids = { job: useId(), kind: useId(), target: useId() }

  const condition = (): AlertCondition => {
    if (kind === 'error_streak') return { kind, errors: Number(errors) || 1 }
    if (kind === 'sleeping') return { kind, longerThan }
    if (kind === 'omitted') return { kind, percent: Number(percent) }
    return { kind: 'failed' }
  }
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    create.mutate({
      name: name.trim(),
      jobId: jobId || null,
      condition: condition(),
      targets: [
        targetType === 'webhook'
          ? { type: 'webhook', url: url.trim() }
          : {
              type: 'email',
              to: emails
                .split(/[\s,;]+/)
                .map((address) => address.trim())
                .filter(Boolean),
            },
      ],
    })
  }

  const secret = create.data?.signingSecrets?.[0]?.secret
  if (create.isSuccess)
    return (
      <Dialog title="Alert rule created" onClose={onClose}>
        <div className="dialog-body">
          {secret ? (
            <>
              <p>
                Deliveries to the webhook are signed with this secret. Copy it now: it won't be shown again.
              </p>
              <div className="secret-box">
                <code data-testid="signing-secret">{secret}</code>
                <CopyButton text={secret} what="signing secret" />
              </div>
            </>
          ) : (
            <p>The rule is on: it fires once each time its condition becomes true.</p>
          )}
          <div className="dialog-actions">
            <button type="button" className="button button-primary" onClick={onClose}>
              Done
            </button>
          </div>
        </div>
      </Dialog>
    )

  return (
    <Dialog title="New alert rule" onClose={onClose}>
      <form className="dialog-body" onSubmit={submit} noValidate>
        <Field
          label="Name"
          value={name}
          maxLength={200}
          onChange={(change) => setName(change.target.value)}
        />
        <div className="field">
          <label className="field-label" htmlFor={ids.job}>
            Watch
          </label>
          <select
            id={ids.job}
            className="input"
            value={jobId}
            onChange={(change) => setJobId(change.target.value)}
          >
            <option value="">Every job</option>
            {[...jobs.items, ...exportsList.items].map((job) => (
              <option key={job.id} value={job.id}>
                {job.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label className="field-label" htmlFor={ids.kind}>
            Fire when
          </label>
          <select
            id={ids.kind}
            className="input"
            value={kind}
            onChange={(change) => setKind(change.target.value as Kind)}
          >
            <option value="failed">The job fails</option>
            <option value="error_streak">Errors keep happening</option>
            <option value="sleeping">It sleeps too long (retrying or rate-limited)</option>
            <option value="omitted">A run omits too many profiles</option>
          </select>
        </div>
        {kind === 'error_streak' && (
          <Field
            label="Errors in a row"
            type="number"
            min={1}
            value={errors}
            onChange={(c) => setErrors(c.target.value)}
          />
        )}
        {kind === 'sleeping' && (
          <Field
            label="Longer than"
            hint="A duration such as 30m, 2h or 1d."
            value={longerThan}
            onChange={(c) => setLongerThan(c.target.value)}
          />
        )}
        {kind === 'omitted' && (
          <Field
            label="Percent omitted"
            type="number"
            min={0}
            max={100}
            value={percent}
            onChange={(c) => setPercent(c.target.value)}
          />
        )}
        <div className="field">
          <label className="field-label" htmlFor={ids.target}>
            Send to
          </label>
          <select
            id={ids.target}
            className="input"
            value={targetType}
            onChange={(change) => setTargetType(change.target.value as 'webhook' | 'email')}
          >
            <option value="webhook">A webhook (Slack-compatible)</option>
            <option value="email">Email</option>
          </select>
        </div>
        {targetType === 'webhook' ? (
          <Field
            label="Webhook URL"
            placeholder="https://hooks.slack.com/services/…"
            hint="Never shown again after saving: it often holds a token."
            value={url}
            onChange={(change) => setUrl(change.target.value)}
          />
        ) : (
          <Field
            label="Email addresses"
            placeholder="ops@example.com, maya@example.com"
            value={emails}
            onChange={(change) => setEmails(change.target.value)}
          />
        )}
        <FormError error={create.error} />
        <DialogActions label="Create rule" onCancel={onClose} busy={create.isPending || !name.trim()} />
      </form>
    </Dialog>
  )
}
