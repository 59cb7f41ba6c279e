import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useRef, useState } from 'react'
import { formatDateTime } from '../format.ts'
import { api, errorMessage } from '../lib/api.ts'
import type { LogLine } from '../queries/job-logs.ts'

const PAGE = 200
/** Events every job writes, offered in the filter before the log has shown them. */
const COMMON_EVENTS = ['Deployed', 'Started', 'Synced', 'Error', 'Failed', 'Paused', 'Resumed', 'Updated']

const logUrl = (jobId: string) => `/api/jobs/${encodeURIComponent(jobId)}/logs`

/**
 * A job's log for its summary page: the newest entries, older ones on demand, new ones as they
 * happen (`GET /api/events?jobs=&topics=job.log`), filtered by event on the server, and the whole
 * log as a file.
 */
export function JobLogPanel({ jobId }: { jobId: string }) {
  const client = useQueryClient()
  const [event, setEvent] = useState('')
  const [follow, setFollow] = useState(true)
  const [older, setOlder] = useState<{ lines: LogLine[]; more: boolean; loading: boolean; error?: string }>({
    lines: [],
    more: true,
    loading: false,
  })
  const key = ['jobs', jobId, 'log-tail', event] as const
  const tail = useQuery({
    queryKey: key,
    queryFn: ({ signal }) =>
      api.get<LogLine[]>(logUrl(jobId), { newest: 'true', limit: PAGE, event: event || undefined }, signal),
    staleTime: Number.POSITIVE_INFINITY,
  })
  const list = useRef<HTMLOListElement>(null)

  useEffect(() => {
    const source = new EventSource(`/api/events?${new URLSearchParams({ jobs: jobId, topics: 'job.log' })}`)
    source.addEventListener('job.log', (message: MessageEvent<string>) => {
      const line = JSON.parse(message.data) as LogLine
      client.setQueryData<LogLine[]>(['jobs', jobId, 'log-tail', event], (lines) => {
        if (!lines || (event && line.event !== event)) return lines
        return lines.some((known) => String(known.id) === String(line.id)) ? lines : [...lines, line]
      })
    })
    return () => source.close()
  }, [client, jobId, event])

  const lines = [...older.lines, ...(tail.data ?? [])]
  const count = lines.length
  useEffect(() => {
    // Live tail: keep the newest line in view as lines arrive.
    if (follow && count > 0 && list.current) list.current.scrollTop = list.current.scrollHeight
  }, [follow, count])

  const loadOlder = async () => {
    const first = lines[0]
    if (!first) return
    setOlder((state) => ({ ...state, loading: true, error: undefined }))
    try {
      const page = await api.get<LogLine[]>(logUrl(jobId), {
        before: String(first.id),
        limit: PAGE,
        event: event || undefined,
      })
      setOlder((state) => ({ lines: [...page, ...state.lines], more: page.length === PAGE, loading: false }))
    } catch (error) {
      setOlder((state) => ({ ...state, loading: false, error: errorMessage(error) }))
    }
  }

  const events = [
    ...new Set([...COMMON_EVENTS, ...lines.map((line) => line.event), event].filter(Boolean)),
  ].sort()
  const canLoadOlder = older.more && (tail.data?.length ?? 0) >= PAGE

  return (
    <section className="job-log" aria-label="Log">
      <div className="section-head">
        <h2>Log</h2>
        <div className="toolbar toolbar-compact">
          <select
            aria-label="Filter log by event"
            className="input input-small"
            value={event}
            onChange={(change) => {
              // A new filter starts over from the newest entries.
              setOlder({ lines: [], more: true, loading: false })
              setEvent(change.target.value)
            }}
          >
            <option value="">All events</option>
            {events.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
          <label className="checkbox-row">
            <input type="checkbox" checked={follow} onChange={(change) => setFollow(change.target.checked)} />
            Live tail
          </label>
          <a className="button button-small" href={`${logUrl(jobId)}/download`} download>
            Download
          </a>
        </div>
      </div>
      {canLoadOlder && (
        <button
          type="button"
          className="button button-small"
          onClick={() => void loadOlder()}
          disabled={older.loading}
        >
          {older.loading ? 'Loading…' : 'Load older entries'}
        </button>
      )}
      {older.error && <p className="field-error">{older.error}</p>}
      <ol className="log-lines log-lines-tall" ref={list} aria-live="polite">
        {lines.map((line) => (
          <li key={line.id}>
            <time dateTime={line.at}>{formatDateTime(line.at)}</time>
            <span className="log-event">{line.event}</span>
            <span className="log-message">{line.message}</span>
          </li>
        ))}
        {tail.isSuccess && count === 0 && (
          <li className="log-empty">{event ? `No ${event} entries.` : 'No log lines yet.'}</li>
        )}
      </ol>
      {tail.isError && <p className="field-error">{errorMessage(tail.error)}</p>}
    </section>
  )
}
