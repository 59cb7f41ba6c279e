import { CopyButton } from '../components/CopyButton.tsx'

const PLACEHOLDER = '<your data key>'

function commandFor(kind: 'event' | 'file', key: string, stream: string): string {
  const base = `${window.location.origin}/collect`
  const name = encodeURIComponent(stream)
  if (kind === 'file')
    return [
      `curl -H 'Authorization: ${key}' -H 'Content-Type: text/csv' \\`,
      '  --data-binary @people.csv \\',
      `  '${base}/bulk/${name}?filename=people.csv'`,
    ].join('\n')
  return [
    `curl -H 'Authorization: ${key}' -H 'Content-Type: application/json' \\`,
    `  -d '{"email":"ann@example.com","event":"signup"}' \\`,
    `  '${base}/json/${name}'`,
  ].join('\n')
}

/**
 * How to send data with curl: one event, or a file. It shows a real key only when given one, i.e.
 * right after the key was created; otherwise a placeholder the reader replaces.
 */
export function SendDataSnippet({
  dataKey,
  stream = 'web',
  kind = 'event',
}: {
  dataKey?: string
  stream?: string
  kind?: 'event' | 'file'
}) {
  const command = commandFor(kind, dataKey ?? PLACEHOLDER, stream)
  return (
    <section className="snippet" aria-label="How to send data">
      <div className="section-head">
        <h3>{kind === 'file' ? 'Upload a file' : 'Send an event'}</h3>
        <CopyButton text={command} what="Command" />
      </div>
      <pre className="code-block">
        <code>{command}</code>
      </pre>
      <p className="field-hint">
        {dataKey
          ? 'This command carries your new key: keep it private.'
          : `Replace ${PLACEHOLDER} with a key.`}{' '}
        Events go to <code>/collect/json/&lt;stream&gt;</code>, files (CSV, JSON or NDJSON) to{' '}
        <code>/collect/bulk/&lt;stream&gt;</code>; the Segment and RudderStack SDKs send to{' '}
        <code>/v1/batch</code>.
      </p>
    </section>
  )
}
