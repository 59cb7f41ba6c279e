import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect } from 'react'
import { api } from '../lib/api.ts'
import type { JobDetail, JobStatus, JobSummary } from '../types.ts'
import { jobRunsKey } from './job-logs.ts'
import { useCursorList } from './list.ts'

export type JobFilter = {
  type: 'import' | 'export' | 'enrichment'
  q: string
  status: JobStatus | ''
  provider: string
  jobType: string
  /** A column of `JOB_SORTS` (server), `-` first for descending. */
  sort: string
}

export const jobKey = (id: string) => ['jobs', id, 'detail'] as const

export function useJobs(filter: JobFilter) {
  return useCursorList<JobSummary>(['jobs', 'list'], '/api/jobs', filter)
}

export function useJob(id: string) {
  return useQuery({
    queryKey: jobKey(id),
    queryFn: ({ signal }) => api.get<JobDetail>(`/api/jobs/${encodeURIComponent(id)}`, undefined, signal),
  })
}

/** Renames a job or changes its description (`PATCH /api/jobs/:id` takes nothing else). */
export function useUpdateJob(id: string) {
  const client = useQueryClient()
  return useMutation({
    mutationFn: (changes: { name?: string; description?: string }) =>
      api.patch<JobDetail>(`/api/jobs/${encodeURIComponent(id)}`, changes),
    onSuccess: (job) => {
      client.setQueryData(jobKey(id), job)
      void client.invalidateQueries({ queryKey: ['jobs', 'list'] })
    },
  })
}

/**
 * Keeps job lists and summaries live: a status change anywhere (`GET /api/events?topics=`)
 * refetches the lists on screen once per burst, and the changed job's summary and runs.
 * EventSource reconnects by itself and resumes with Last-Event-ID.
 */
export function useJobStatusEvents(jobs?: string) {
  const client = useQueryClient()
  useEffect(() => {
    const query = new URLSearchParams({ topics: 'job.status,job.metrics' })
    if (jobs) query.set('jobs', jobs)
    const source = new EventSource(`/api/events?${query}`)
    let pending: ReturnType<typeof setTimeout> | undefined
    const changed = new Set<string>()
    const refresh = (event: MessageEvent<string>) => {
      changed.add((JSON.parse(event.data) as { jobId: string }).jobId)
      pending ??= setTimeout(() => {
        pending = undefined
        void client.invalidateQueries({ queryKey: ['jobs', 'list'] })
        for (const id of changed) {
          void client.invalidateQueries({ queryKey: jobKey(id) })
          void client.invalidateQueries({ queryKey: jobRunsKey(id) })
          void client.invalidateQueries({ queryKey: ['jobs', id, 'metrics'] })
        }
        changed.clear()
      }, 150)
    }
    source.addEventListener('job.status', refresh)
    source.addEventListener('job.metrics', refresh)
    return () => {
      clearTimeout(pending)
      source.close()
    }
  }, [client, jobs])
}
