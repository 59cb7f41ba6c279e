import { useQuery } from '@tanstack/react-query'
import { type FormEvent, useId, useState } from 'react'
import { Link } from 'react-router'
import { PageHeader } from '../components/PageHeader.tsx'
import { ProgressBar } from '../components/ProgressBar.tsx'
import { toast } from '../components/toast-store.ts'
import type { Upload } from '../data/types.ts'
import { formatNumber, plural } from '../format.ts'
import { api, errorMessage, isApiError } from '../lib/api.ts'
import { useStreams } from '../queries/streams.ts'
import { fieldsOf, formatOf } from '../uploads/file-header.ts'
import { type BulkAnswer, sendFile } from '../uploads/send-file.ts'

const DELIMITERS = [
  [',', 'Comma (,)'],
  [';', 'Semicolon (;)'],
  ['t', 'Tab'],
  ['|', 'Pipe (|)'],
] as const
const STREAM_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/

type Rejects = { row: number; reason: string }[]
type Outcome =
  | { kind: 'stored'; answer: BulkAnswer }
  | { kind: 'refused'; message: string; rejected: number; errors: Rejects }

/**
 * Backfill from a file (DESIGN.md §5 staging): choose the stream, the file, which column holds each
 * row's event time, the delimiter, dry run and drop errors; then watch it upload and unify.
 */
export function NewUploadPage() {
  const streams = useStreams('')
  const [stream, setStream] = useState('')
  const [file, setFile] = useState<File | null>(null)
  const [fields, setFields] = useState<string[]>([])
  const [timestampField, setTimestampField] = useState('')
  const [delimiter, setDelimiter] = useState(',')
  const [dryrun, setDryrun] = useState(false)
  const [droperrors, setDroperrors] = useState(true)
  const [sent, setSent] = useState<{ done: number; total: number } | null>(null)
  const [outcome, setOutcome] = useState<Outcome | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const ids = { stream: useId(), file: useId(), time: useId(), delimiter: useId(), streams: useId() }
  const sending = sent !== null && outcome === null && problem === null
  const uploadId = outcome?.kind === 'stored' ? outcome.answer.data.upload_id : null
  const progress = useQuery({
    queryKey: ['uploads', uploadId],
    enabled: Boolean(uploadId),
    queryFn: ({ signal }) =>
      api.get<Upload>(`/api/uploads/${encodeURIComponent(uploadId!)}`, undefined, signal),
    refetchInterval: (query) => (query.state.data?.status === 'published' ? 1000 : false),
  })

  const chooseFile = async (chosen: File | null, nextDelimiter = delimiter) => {
    setFile(chosen)
    setOutcome(null)
    setProblem(null)
    setSent(null)
    const names = chosen ? await fieldsOf(chosen, nextDelimiter).catch(() => []) : []
    setFields(names)
    // A column named like a time is the likely event time; the user can change it.
    setTimestampField(
      names.find((name) => /^(timestamp|event_?time|updated_?at|created_?at|date|time)$/i.test(name)) ?? '',
    )
  }

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (!STREAM_NAME.test(stream)) return setProblem('Name the stream: letters, digits, "_", "." or "-".')
    if (!file) return setProblem('Choose a file to upload.')
    setProblem(null)
    setOutcome(null)
    setSent({ done: 0, total: file.size })
    const query: Record<string, string> = {}
    if (timestampField) query.timestamp_field = timestampField
    if (formatOf(file.name).format === 'csv' && delimiter !== ',') query.delimiter = delimiter
    if (dryrun) query.dryrun = 'true'
    if (droperrors) query.droperrors = 'true'
    try {
      const answer = await sendFile(stream, file, query, (done, total) => setSent({ done, total }))
      setOutcome({ kind: 'stored', answer })
      toast.success(dryrun ? 'Dry run finished: nothing was stored.' : `${file.name} uploaded.`)
    } catch (error) {
      if (isApiError(error, 400, 'RowsRejected')) {
        const details = error.details as { rejected_count: number; errors: Rejects }
        setOutcome({
          kind: 'refused',
          message: error.message,
          rejected: details.rejected_count,
          errors: details.errors,
        })
      } else setProblem(errorMessage(error))
    }
  }

  const csv = file ? formatOf(file.name).format === 'csv' : true
  const rejects = outcome?.kind === 'stored' ? outcome.answer.data.errors : (outcome?.errors ?? [])
  const upload = progress.data

  return (
    <>
      <PageHeader
        title="Upload a file"
        subtitle="Backfill a stream from a CSV, JSON or NDJSON file (gzipped or not). Nothing is visible to profiles until the whole file has been read."
        actions={
          <Link className="button" to="/data/uploads">
            All uploads
          </Link>
        }
      />
      <form className="form upload-form" onSubmit={(event) => void submit(event)} noValidate>
        <div className="field">
          <label className="field-label" htmlFor={ids.stream}>
            Stream
          </label>
          <input
            id={ids.stream}
            className="input"
            list={ids.streams}
            value={stream}
            maxLength={100}
            placeholder="e.g. crm_contacts"
            onChange={(change) => setStream(change.target.value.trim())}
          />
          <datalist id={ids.streams}>
            {streams.items.map((entry) => (
              <option key={entry.name} value={entry.name} />
            ))}
          </datalist>
          <p className="field-hint">An existing stream, or a new name to start one.</p>
        </div>
        <div className="field">
          <label className="field-label" htmlFor={ids.file}>
            File
          </label>
          <input
            id={ids.file}
            className="input"
            type="file"
            accept=".csv,.tsv,.txt,.json,.ndjson,.jsonl,.gz"
            onChange={(change) => void chooseFile(change.target.files?.[0] ?? null)}
          />
          {file && (
            <p className="field-hint">
              {formatNumber(file.size)} bytes · {formatOf(file.name).format.toUpperCase()}
              {formatOf(file.name).gzip ? ', gzipped' : ''}
              {fields.length ? ` · ${plural(fields.length, 'column')}` : ''}
            </p>
          )}
        </div>
        {csv && (
          <div className="field">
            <label className="field-label" htmlFor={ids.delimiter}>
              Delimiter
            </label>
            <select
              id={ids.delimiter}
              className="input"
              value={delimiter}
              onChange={(change) => {
                setDelimiter(change.target.value)
                void chooseFile(file, change.target.value)
              }}
            >
              {DELIMITERS.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </div>
        )}
        <div className="field">
          <label className="field-label" htmlFor={ids.time}>
            Event time field
          </label>
          <select
            id={ids.time}
            className="input"
            value={timestampField}
            onChange={(change) => setTimestampField(change.target.value)}
          >
            <option value="">None: use the time of the upload</option>
            {fields.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
          <p className="field-hint">
            Which column says when each row happened, so older rows never overwrite newer values.
          </p>
        </div>
        <label className="checkbox-row">
          <input type="checkbox" checked={dryrun} onChange={(change) => setDryrun(change.target.checked)} />
          Dry run: check the file and count its rows, store nothing
        </label>
        <label className="checkbox-row">
          <input
            type="checkbox"
            checked={droperrors}
            onChange={(change) => setDroperrors(change.target.checked)}
          />
          Drop rows with errors and store the rest (otherwise one bad row stops the whole file)
        </label>
        {problem && (
          <p className="form-error" role="alert">
            {problem}
          </p>
        )}
        <div className="dialog-actions">
          <button type="submit" className="button button-primary" disabled={sending}>
            {sending ? 'Uploading…' : dryrun ? 'Check file' : 'Upload'}
          </button>
        </div>
      </form>

      {sent && (
        <section className="upload-progress" aria-label="Progress">
          <h2>Progress</h2>
          <div className="upload-step">
            <span>Uploading and reading</span>
            <ProgressBar
              done={outcome || problem ? sent.total : sent.done}
              total={sent.total}
              label="Upload"
            />
          </div>
          {upload && (
            <div className="upload-step">
              <span>Unifying into profiles</span>
              <ProgressBar done={upload.unified} total={upload.stored} label="Unification" />
            </div>
          )}
        </section>
      )}

      {outcome && (
        <section className="upload-result" aria-label="Result">
          <h2>Result</h2>
          {outcome.kind === 'stored' ? (
            <p data-testid="upload-counts">
              {formatNumber(outcome.answer.data.message_count)} accepted ·{' '}
              {formatNumber(outcome.answer.data.rejected_count)} rejected
              {outcome.answer.data.duplicate_count
                ? ` · ${formatNumber(outcome.answer.data.duplicate_count)} already received`
                : ''}
              {outcome.answer.data.dryrun ? ' (dry run: nothing stored)' : ''}
              {upload?.status === 'unified' ? ` · ${formatNumber(upload.unified)} unified` : ''}
            </p>
          ) : (
            <p className="form-error" role="alert">
              {outcome.message}
            </p>
          )}
          {rejects.length > 0 && (
            <table className="table table-compact" aria-label="Rejected rows">
              <thead>
                <tr>
                  <th scope="col">Row</th>
                  <th scope="col">Why it was rejected</th>
                </tr>
              </thead>
              <tbody>
                {rejects.map((entry) => (
                  <tr key={entry.row}>
                    <td>{entry.row}</td>
                    <td>{entry.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {upload?.status === 'unified' && (
            <Link className="button" to={`/data/profiles`}>
              See profiles
            </Link>
          )}
        </section>
      )}
    </>
  )
}
