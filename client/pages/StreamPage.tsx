import { Link, useParams } from 'react-router'
import { EmptyState } from '../components/EmptyState.tsx'
import { SourcesIcon } from '../components/icons.tsx'
import { LoadMore } from '../components/LoadMore.tsx'
import { PageHeader } from '../components/PageHeader.tsx'
import { LoadError, Loading } from '../components/QueryStates.tsx'
import { MessageCard } from '../data/MessageCard.tsx'
import { RetentionForm } from '../data/RetentionForm.tsx'
import { retentionText } from '../data/StreamTable.tsx'
import type { Stream } from '../data/types.ts'
import { formatDateTime, formatNumber } from '../format.ts'
import { useHasRole } from '../queries/auth.ts'
import { useStream, useStreamMessages } from '../queries/streams.ts'

/** One stream: its numbers, its retention, and its newest raw messages. */
export function StreamPage() {
  const { name = '' } = useParams()
  const stream = useStream(name)

  if (stream.isPending) return <Loading label="Loading stream…" />
  if (stream.isError) return <LoadError error={stream.error} onRetry={() => void stream.refetch()} />
  if (!stream.data) {
    return (
      <EmptyState
        icon={<SourcesIcon size={28} />}
        title="Stream not found"
        actions={
          <Link className="button button-primary" to="/data/streams">
            Back to Streams
          </Link>
        }
      >
        <p>No stream is named “{name}”. It appears once a message is sent to it.</p>
      </EmptyState>
    )
  }
  return <StreamView key={stream.data.name} stream={stream.data} />
}

function StreamView({ stream }: { stream: Stream }) {
  const messages = useStreamMessages(stream.name)
  const editor = useHasRole('editor')

  return (
    <>
      <Link className="breadcrumb" to="/data/streams">
        Streams
      </Link>
      <PageHeader
        title={stream.name}
        subtitle="Raw messages exactly as they arrived, newest first."
        actions={
          <Link className="button" to={`/data/uploads?stream=${encodeURIComponent(stream.name)}`}>
            Uploads to this stream
          </Link>
        }
      />
      <div className="detail-grid">
        <section className="card detail-card" aria-label="Stream">
          <dl className="facts">
            <dt>Messages</dt>
            <dd>{formatNumber(stream.messageCount)}</dd>
            <dt>Last message</dt>
            <dd>{stream.lastMessageAt ? formatDateTime(stream.lastMessageAt) : 'Never'}</dd>
            <dt>Created</dt>
            <dd>{formatDateTime(stream.createdAt)}</dd>
            {!editor && (
              <>
                <dt>Retention</dt>
                <dd>{retentionText(stream.retentionDays)}</dd>
              </>
            )}
          </dl>
        </section>
        {editor && (
          <section className="card detail-card" aria-label="Retention">
            <RetentionForm stream={stream} />
          </section>
        )}
      </div>

      <h2 className="section-title">Newest messages</h2>
      {messages.isPending ? (
        <Loading label="Loading messages…" />
      ) : messages.isError ? (
        <LoadError error={messages.error} onRetry={() => void messages.refetch()} />
      ) : messages.items.length === 0 ? (
        <EmptyState icon={<SourcesIcon size={28} />} title="No messages kept">
          <p>
            Every message of this stream has been removed by its retention or by privacy deletions. New ones
            appear here as they arrive.
          </p>
        </EmptyState>
      ) : (
        <>
          <div className="message-list">
            {messages.items.map((message) => (
              <MessageCard key={message.seq} message={message} />
            ))}
          </div>
          <LoadMore list={messages} />
        </>
      )}
    </>
  )
}
