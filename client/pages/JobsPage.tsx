import { type ReactNode, useId, useState } from 'react'
import { Link } from 'react-router'
import { EmptyState } from '../components/EmptyState.tsx'
import { PageHeader } from '../components/PageHeader.tsx'
import { ProviderIcon } from '../components/ProviderIcon.tsx'
import { LoadError, Loading } from '../components/QueryStates.tsx'
import { RelativeTime } from '../components/RelativeTime.tsx'
import { SearchField } from '../components/SearchField.tsx'
import { StatusBadge } from '../components/StatusBadge.tsx'
import { useDebouncedValue } from '../hooks/useDebouncedValue.ts'
import { CreateJobDialog } from '../jobs/CreateJobDialog.tsx'
import { SortHeader } from '../jobs/SortHeader.tsx'
import { useHasRole } from '../queries/auth.ts'
import { useJobStatusEvents, useJobs } from '../queries/jobs.ts'
import { useProviders } from '../queries/providers.ts'
import { JOB_STATUSES, type JobStatus } from '../types.ts'

interface JobsPageProps {
  type: 'import' | 'export' | 'enrichment'
  title: string
  subtitle: string
  /** Singular, lower case: "source", "destination". */
  noun: string
  icon: ReactNode
}

// Removed jobs are hidden from lists (DESIGN.md §4), so filtering by them would always be empty.
const FILTERABLE = JOB_STATUSES.filter((status) => status !== 'removed')
const capitalised = (value: string) => `${value[0]?.toUpperCase()}${value.slice(1)}`

/**
 * The jobs of one kind across all pipelines (Sources: import jobs, Destinations: export jobs,
 * Enrichment), searched, filtered and sorted by the server, with statuses that follow live.
 */
export function JobsPage({ type, title, subtitle, noun, icon }: JobsPageProps) {
  const [search, setSearch] = useState('')
  const [status, setStatus] = useState<JobStatus | ''>('')
  const [provider, setProvider] = useState('')
  const [jobType, setJobType] = useState('')
  const [sort, setSort] = useState('-createdAt')
  const [creating, setCreating] = useState(false)
  const q = useDebouncedValue(search.trim())
  const jobs = useJobs({ type, q, status, provider, jobType, sort })
  useJobStatusEvents()
  const providers = useProviders()
  const canEdit = useHasRole('editor')
  const ids = { status: useId(), provider: useId(), jobType: useId() }
  const filtered = q !== '' || status !== '' || provider !== '' || jobType !== ''

  // What the catalogue offers for this kind of job: the filters' choices and the rows' labels.
  const offered = (providers.data ?? []).flatMap((entry) => {
    const types = entry.jobTypes.filter((candidate) => candidate.direction === type)
    return types.length ? [{ ...entry, jobTypes: types }] : []
  })
  const jobTypes = [
    ...new Map(
      offered
        .filter((entry) => !provider || entry.id === provider)
        .flatMap((entry) => entry.jobTypes.map((candidate) => [candidate.id, candidate.title] as const)),
    ),
  ]
  const titleOf = (providerId: string, jobTypeId: string) =>
    providers.data?.find((entry) => entry.id === providerId)?.jobTypes.find((entry) => entry.id === jobTypeId)
      ?.title ?? jobTypeId

  const sortHeader = (label: string, column: string) => (
    <SortHeader label={label} column={column} sort={sort} onSort={setSort} />
  )

  return (
    <div className="page">
      <PageHeader
        title={title}
        subtitle={subtitle}
        actions={
          canEdit && (
            <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
              + Create New
            </button>
          )
        }
      />
      <div className="toolbar">
        <SearchField label={`Search ${title.toLowerCase()}`} value={search} onChange={setSearch} />
        <div className="select-field">
          <label htmlFor={ids.status}>Status</label>
          <select
            id={ids.status}
            className="input"
            value={status}
            onChange={(event) => setStatus(event.target.value as JobStatus | '')}
          >
            <option value="">All statuses</option>
            {FILTERABLE.map((value) => (
              <option key={value} value={value}>
                {capitalised(value)}
              </option>
            ))}
          </select>
        </div>
        <div className="select-field">
          <label htmlFor={ids.provider}>Provider</label>
          <select
            id={ids.provider}
            className="input"
            value={provider}
            onChange={(event) => {
              setProvider(event.target.value)
              setJobType('')
            }}
          >
            <option value="">All providers</option>
            {offered.map((entry) => (
              <option key={entry.id} value={entry.id}>
                {entry.title}
              </option>
            ))}
          </select>
        </div>
        <div className="select-field">
          <label htmlFor={ids.jobType}>Type</label>
          <select
            id={ids.jobType}
            className="input"
            value={jobType}
            onChange={(event) => setJobType(event.target.value)}
          >
            <option value="">All types</option>
            {jobTypes.map(([id, label]) => (
              <option key={id} value={id}>
                {label}
              </option>
            ))}
          </select>
        </div>
      </div>

      {jobs.isPending ? (
        <Loading label={`Loading ${title.toLowerCase()}…`} />
      ) : jobs.isError ? (
        <LoadError error={jobs.error} onRetry={() => void jobs.refetch()} />
      ) : jobs.items.length === 0 ? (
        filtered ? (
          <EmptyState icon={icon} title={`No ${title.toLowerCase()} match`}>
            <p>Try another search or filter.</p>
          </EmptyState>
        ) : (
          <EmptyState
            icon={icon}
            title={`No ${title.toLowerCase()} yet`}
            actions={
              canEdit ? (
                <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
                  Create a {noun}
                </button>
              ) : (
                <Link className="button" to="/pipelines">
                  Go to Pipelines
                </Link>
              )
            }
          >
            <p>
              A {noun} appears here once a pipeline with a {noun} node is deployed. Create one here, or build
              a pipeline on the Pipelines page.
            </p>
          </EmptyState>
        )
      ) : (
        <>
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  {sortHeader('Name', 'name')}
                  <th scope="col">Authorization</th>
                  {sortHeader('Provider', 'provider')}
                  {sortHeader('Type', 'jobType')}
                  {sortHeader('Status', 'status')}
                  {sortHeader('Created', 'createdAt')}
                </tr>
              </thead>
              <tbody>
                {jobs.items.map((job) => {
                  const entry = providers.data?.find((candidate) => candidate.id === job.provider)
                  return (
                    <tr key={job.id}>
                      <td className="row-title">
                        <Link to={`/jobs/${encodeURIComponent(job.id)}`}>{job.name}</Link>
                      </td>
                      <td>
                        {job.authorization ? (
                          job.authorization.name
                        ) : (
                          <span className="muted">None needed</span>
                        )}
                      </td>
                      <td>
                        <span className="provider-cell">
                          <ProviderIcon svg={entry?.icon} size={20} />
                          {entry?.title ?? job.provider}
                        </span>
                      </td>
                      <td className="muted">{titleOf(job.provider, job.jobType)}</td>
                      <td>
                        <StatusBadge status={job.status} />
                      </td>
                      <td className="muted">
                        <RelativeTime iso={job.createdAt} />
                      </td>
                    </tr>
                  )
                })}
              </tbody>
            </table>
          </div>
          {jobs.hasNextPage && (
            <div className="load-more">
              <button
                type="button"
                className="button"
                onClick={() => void jobs.fetchNextPage()}
                disabled={jobs.isFetchingNextPage}
              >
                Load more
              </button>
            </div>
          )}
        </>
      )}
      {creating && <CreateJobDialog direction={type} noun={noun} onClose={() => setCreating(false)} />}
    </div>
  )
}
