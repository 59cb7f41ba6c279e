import type { ReactNode } from 'react'
import { Link, useParams } from 'react-router'
import { EmptyState } from '../components/EmptyState.tsx'
import { SourcesIcon } from '../components/icons.tsx'
import { JsonBlock } from '../components/JsonBlock.tsx'
import { ProviderIcon } from '../components/ProviderIcon.tsx'
import { LoadError, Loading } from '../components/QueryStates.tsx'
import { RelativeTime } from '../components/RelativeTime.tsx'
import { StatusBadge } from '../components/StatusBadge.tsx'
import { useNow } from '../components/use-now.ts'
import { InlineEdit } from '../jobs/InlineEdit.tsx'
import { JobActions } from '../jobs/JobActions.tsx'
import { JobActivity } from '../jobs/JobActivity.tsx'
import { JobLogPanel } from '../jobs/JobLogPanel.tsx'
import { JobRuns } from '../jobs/JobRuns.tsx'
import { isApiError } from '../lib/api.ts'
import { useHasRole } from '../queries/auth.ts'
import { useJob, useJobStatusEvents, useUpdateJob } from '../queries/jobs.ts'
import { useProviders } from '../queries/providers.ts'
import type { JobDetail } from '../types.ts'

const LISTS = {
  import: { to: '/sources', label: 'Sources' },
  export: { to: '/destinations', label: 'Destinations' },
  enrichment: { to: '/enrichment', label: 'Enrichment' },
  system: { to: '/pipelines', label: 'Pipelines' },
} as const

/** The countdowns that apply to a job in its state: next run, rate limit, fails in, purged in. */
function countdowns(job: JobDetail): [label: string, iso: string][] {
  const rows: [string, string][] = []
  if (job.status === 'sleeping' && job.nextRunAt)
    rows.push([
      job.sleepReason === 'rate_limit'
        ? 'Rate-limited until'
        : job.sleepReason === 'retry'
          ? 'Retries'
          : 'Next run',
      job.nextRunAt,
    ])
  if (job.failsAt) rows.push(['Marked failed', job.failsAt])
  if (job.purgesAt) rows.push(['Purged', job.purgesAt])
  return rows
}

/** One job's summary (`/jobs/:id`): who and what it is, its schedule, activity, runs, config and log. */
export function JobPage() {
  const { id = '' } = useParams()
  const job = useJob(id)
  useJobStatusEvents(id)
  if (job.isPending) return <Loading label="Loading job…" />
  if (job.isError) {
    if (isApiError(job.error, 404))
      return (
        <div className="page">
          <title>Job not found · Sluice</title>
          <EmptyState
            icon={<SourcesIcon size={28} />}
            title="Job not found"
            actions={
              <Link className="button button-primary" to="/sources">
                Back to Sources
              </Link>
            }
          >
            <p>It may have been purged, or the link is wrong.</p>
          </EmptyState>
        </div>
      )
    return <LoadError error={job.error} onRetry={() => void job.refetch()} />
  }
  return <JobSummary job={job.data} />
}

function JobSummary({ job }: { job: JobDetail }) {
  const now = useNow()
  const canEdit = useHasRole('editor')
  const update = useUpdateJob(job.id)
  const providers = useProviders()
  const provider = providers.data?.find((entry) => entry.id === job.provider)
  const jobTypeTitle = provider?.jobTypes.find((entry) => entry.id === job.jobType)?.title ?? job.jobType
  const list = LISTS[job.type]
  const fact = (label: string, value: ReactNode) => (
    <>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </>
  )

  return (
    <div className="page job-page">
      <title>{`${job.name} · Sluice`}</title>
      <header className="job-header">
        <Link to={list.to} className="breadcrumb">
          {list.label}
        </Link>
        <div className="job-title-row">
          <ProviderIcon svg={provider?.icon} size={32} />
          <InlineEdit
            label="Name"
            value={job.name}
            placeholder="Unnamed"
            maxLength={200}
            canEdit={canEdit}
            save={(name) => update.mutateAsync({ name })}
            render={(name) => <h1 className="page-title">{name}</h1>}
          />
          <StatusBadge status={job.status} />
        </div>
        <InlineEdit
          label="Description"
          value={job.description}
          placeholder="No description"
          multiline
          maxLength={2000}
          canEdit={canEdit}
          save={(description) => update.mutateAsync({ description })}
          render={(description) => <p className="page-subtitle">{description}</p>}
        />
        <div className="job-header-actions">
          {canEdit && job.status !== 'removed' && (
            <JobActions jobId={job.id} status={job.status} pipelineId={job.pipelineId} />
          )}
          {job.pipelineId && job.nodeId && (
            <Link
              className="button"
              to={`/pipelines/${encodeURIComponent(job.pipelineId)}?node=${encodeURIComponent(job.nodeId)}`}
            >
              Open on canvas
            </Link>
          )}
        </div>
      </header>

      <dl className="facts job-facts">
        {fact('Status', <StatusBadge status={job.status} />)}
        {fact('Provider', provider?.title ?? job.provider)}
        {fact('Type', jobTypeTitle)}
        {fact('Job name', job.name)}
        {fact(
          'Authorization',
          job.authorization ? (
            <Link to="/vault">{job.authorization.name}</Link>
          ) : (
            <span className="muted">None needed</span>
          ),
        )}
        {fact('Created by', job.createdByName ?? <span className="muted">a removed user</span>)}
        {fact('Created', <RelativeTime iso={job.createdAt} now={now} />)}
        {fact('Last updated', <RelativeTime iso={job.updatedAt} now={now} />)}
        {job.lastRunAt && fact('Last run', <RelativeTime iso={job.lastRunAt} now={now} />)}
        {countdowns(job).map(([label, iso]) => (
          <div key={label} className="fact-pair" data-testid="countdown">
            <dt>{label}</dt>
            <dd>
              <RelativeTime iso={iso} now={now} />
            </dd>
          </div>
        ))}
      </dl>

      {job.lastError && job.consecutiveErrors > 0 && (
        <div className="job-error" role="alert">
          <strong>Last error{job.consecutiveErrors > 1 ? ` (${job.consecutiveErrors} in a row)` : ''}</strong>
          <p>{job.lastError}</p>
        </div>
      )}

      <section className="job-section" aria-label="Activity">
        <h2>Activity</h2>
        <JobActivity jobId={job.id} />
      </section>
      <section className="job-section" aria-label="Runs">
        <h2>Runs</h2>
        <JobRuns jobId={job.id} empty="No runs yet." />
      </section>
      <section className="job-section">
        <JsonBlock
          title="Configuration"
          what="configuration"
          value={{
            config: job.config,
            cadence: job.cadence,
            ...(job.mapping ? { mapping: job.mapping } : {}),
          }}
        />
      </section>
      <JobLogPanel jobId={job.id} />
    </div>
  )
}
