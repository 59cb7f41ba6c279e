import { useQueryClient } from '@tanstack/react-query'
import { useEffect } from 'react'
import { appendLogLine, jobLogsKey, jobRunsKey, type LogLine } from './job-logs.ts'
import { pipelineKeys } from './pipelines.ts'

/**
 * Follows a deployed pipeline's live events (`GET /api/events?pipeline=`): status changes and
 * metrics refresh the node badges, log lines land in the open log at once. EventSource reconnects
 * by itself and resumes with Last-Event-ID.
 */
export function usePipelineEvents(pipelineId: string, enabled: boolean) {
  const client = useQueryClient()
  useEffect(() => {
    if (!enabled) return
    const source = new EventSource(`/api/events?pipeline=${encodeURIComponent(pipelineId)}`)
    let pending: ReturnType<typeof setTimeout> | undefined
    // Many changes in a burst (a deploy, a batch) refetch the status once.
    const refreshStatus = () => {
      pending ??= setTimeout(() => {
        pending = undefined
        void client.invalidateQueries({ queryKey: pipelineKeys.status(pipelineId) })
      }, 150)
    }
    const onLog = (event: MessageEvent<string>) => {
      const line = JSON.parse(event.data) as LogLine & { jobId: string }
      client.setQueryData<LogLine[]>(jobLogsKey(line.jobId), (lines) => appendLogLine(lines, line))
    }
    for (const topic of ['job.metrics', 'pipeline.deployed']) source.addEventListener(topic, refreshStatus)
    source.addEventListener('job.status', (event: MessageEvent<string>) => {
      refreshStatus()
      // A status change ends or starts a run: the open run history follows.
      const { jobId } = JSON.parse(event.data) as { jobId: string }
      void client.invalidateQueries({ queryKey: jobRunsKey(jobId) })
    })
    source.addEventListener('job.log', onLog)
    return () => {
      clearTimeout(pending)
      source.close()
    }
  }, [client, pipelineId, enabled])
}
