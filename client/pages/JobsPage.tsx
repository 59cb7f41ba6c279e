import { type ReactNode, useId, useState } from 'react'
import { Link } from 'react-router'
import { EmptyState } from '../components/EmptyState.tsx'
import { PageHeader } from '../components/PageHeader.tsx'
import { ProviderIcon } from '../components/ProviderIcon.tsx'
import { LoadError, Loading } from '../components/QueryStates.tsx'
import { SearchField } from '../components/SearchField.tsx'
import { StatusBadge } from '../components/StatusBadge.tsx'
import { formatDateTime, formatRelative } from '../format.ts'
import { useDebouncedValue } from '../hooks/useDebouncedValue.ts'
import { useJobs } from '../queries/jobs.ts'
import { useProviders } from '../queries/providers.ts'
import { JOB_STATUSES, type JobStatus } from '../types.ts'

interface JobsPageProps {
  type: 'import' | 'export'
  title: string
  subtitle: string
  /** Singular, lower case: "source", "destination". */
  noun: string
  icon: ReactNode
}

// Removed jobs are hidden from lists (DESIGN.md §4), so filtering by them would always be empty.
const FILTERABLE = JOB_STATUSES.filter((status) => status !== 'removed')

/** The jobs of one direction across all pipelines: Sources are import jobs, Destinations export jobs. */
export function JobsPage({ type, title, subtitle, noun, icon }: JobsPageProps) {
  const [search, setSearch] = useState('')
  const [status, setStatus] = useState<JobStatus | ''>('')
  const q = useDebouncedValue(search.trim())
  const jobs = useJobs({ type, q, status })
  const providers = useProviders()
  const statusId = useId()
  const filtered = q !== '' || status !== ''

  return (
    <div className="page">
      <PageHeader title={title} subtitle={subtitle} />
      <div className="toolbar">
        <SearchField label={`Search ${title.toLowerCase()}`} value={search} onChange={setSearch} />
        <div className="select-field">
          <label htmlFor={statusId}>Status</label>
          <select
            id={statusId}
            className="input"
            value={status}
            onChange={(event) => setStatus(event.target.value as JobStatus | '')}
          >
            <option value="">All statuses</option>
            {FILTERABLE.map((value) => (
              <option key={value} value={value}>
                {`${value[0]?.toUpperCase()}${value.slice(1)}`}
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
            <p>Try another search or status.</p>
          </EmptyState>
        ) : (
          <EmptyState
            icon={icon}
            title={`No ${title.toLowerCase()} yet`}
            actions={
              <Link className="button button-primary" to="/pipelines">
                Go to Pipelines
              </Link>
            }
          >
            <p>
              A {noun} appears here once a pipeline with a {noun} node is deployed. Build one on the Pipelines
              page, or start from the example pipeline.
            </p>
          </EmptyState>
        )
      ) : (
        <>
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Authorization</th>
                  <th scope="col">Provider</th>
                  <th scope="col">Type</th>
                  <th scope="col">Status</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {jobs.items.map((job) => {
                  const provider = providers.data?.find((candidate) => candidate.id === job.provider)
                  return (
                    <tr key={job.id}>
                      <td className="row-title">{job.name}</td>
                      <td>
                        {job.authorization ? (
                          job.authorization.name
                        ) : (
                          <span className="muted">None needed</span>
                        )}
                      </td>
                      <td>
                        <span className="provider-cell">
                          <ProviderIcon svg={provider?.icon} size={20} />
                          {provider?.title ?? job.provider}
                        </span>
                      </td>
                      <td className="muted capitalize">{job.type}</td>
                      <td>
                        <StatusBadge status={job.status} />
                      </td>
                      <td className="muted">
                        <time dateTime={job.createdAt} title={formatDateTime(job.createdAt)}>
                          {formatRelative(job.createdAt)}
                        </time>
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
    </div>
  )
}
