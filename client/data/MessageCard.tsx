import { Link } from 'react-router'
import { formatDateTime } from '../format.ts'
import type { Lane, RawMessage } from './types.ts'

const LANES: Record<Lane, string> = { realtime: 'Realtime', bulk: 'Bulk upload', job: 'Import job' }

export const profilePath = (id: string) => `/data/profiles/${encodeURIComponent(id)}`

/** One raw message as stored: when it happened, how it came in, whom it belongs to, and its payload. */
export function MessageCard({ message }: { message: RawMessage }) {
  return (
    <article className="card message-card" aria-label={`Message ${message.seq}`}>
      <dl className="message-meta">
        <div>
          <dt>Event time</dt>
          <dd>
            <time dateTime={message.eventTime}>{formatDateTime(message.eventTime)}</time>
          </dd>
        </div>
        <div>
          <dt>Lane</dt>
          <dd>
            <span className={`badge lane-${message.lane}`}>{LANES[message.lane] ?? message.lane}</span>
          </dd>
        </div>
        <div>
          <dt>Upload</dt>
          <dd>{message.uploadId ? <code>{message.uploadId}</code> : <span className="muted">None</span>}</dd>
        </div>
        <div>
          <dt>Profile</dt>
          <dd>
            {message.profileId ? (
              <Link to={profilePath(message.profileId)}>Open profile</Link>
            ) : (
              <span className="muted">{message.unifiedAt ? 'No identity' : 'Not unified yet'}</span>
            )}
          </dd>
        </div>
      </dl>
      <pre className="code-block">
        <code>{JSON.stringify(message.payload, null, 2)}</code>
      </pre>
    </article>
  )
}
