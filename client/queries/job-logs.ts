import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '../lib/api.ts'
import { pipelineKeys } from './pipelines.ts'

export interface LogLine {
  id: string | number
  at: string
  event: string
  message: string
  details?: unknown
}

export const jobLogsKey = (jobId: string) => ['jobs', jobId, 'logs'] as const
export const jobRunsKey = (jobId: string) => ['jobs', jobId, 'runs'] as const

export interface JobRun {
  id: string
  startedAt: string | null
  endedAt: string | null
  outcome: string | null
  added: number
  removed: number
  omitted: number
  error: string | null
}

/** A job's latest runs, newest first; refreshed when its status changes (a run ended). */
export function useJobRuns(jobId: string | undefined) {
  return useQuery({
    queryKey: jobRunsKey(jobId ?? ''),
    enabled: Boolean(jobId),
    queryFn: ({ signal }) =>
      api.get<JobRun[]>(`/api/jobs/${encodeURIComponent(jobId!)}/runs`, { limit: 10 }, signal),
  })
}

/** A job's log, newest last; live lines are appended by the pipeline's event stream. */
export function useJobLogs(jobId: string | undefined) {
  return useQuery({
    queryKey: jobLogsKey(jobId ?? ''),
    enabled: Boolean(jobId),
    queryFn: ({ signal }) =>
      api.get<LogLine[]>(`/api/jobs/${encodeURIComponent(jobId!)}/logs`, { limit: 1000 }, signal),
    staleTime: Number.POSITIVE_INFINITY,
  })
}

/** Appends a streamed line, once: a reconnect may replay what the first fetch already had. */
export function appendLogLine(lines: LogLine[] | undefined, line: LogLine): LogLine[] | undefined {
  if (!lines) return lines
  if (lines.some((known) => String(known.id) === String(line.id))) return lines
  return [...lines, line]
}

/** Pause, resume or run now; the status follows by the event stream (and is refetched here). */
export function useJobAction(pipelineId: string | null) {
  const client = useQueryClient()
  return useMutation({
    mutationFn: ({ jobId, action }: { jobId: string; action: 'pause' | 'resume' | 'run' }) =>
      api.post(`/api/jobs/${encodeURIComponent(jobId)}/${action}`),
    onSettled: (_data, _error, { jobId }) => {
      if (pipelineId) void client.invalidateQueries({ queryKey: pipelineKeys.status(pipelineId) })
      void client.invalidateQueries({ queryKey: ['jobs', jobId, 'detail'] })
      void client.invalidateQueries({ queryKey: ['jobs', 'list'] })
    },
  })
}
