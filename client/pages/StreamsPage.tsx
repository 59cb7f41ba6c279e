import { useState } from 'react'
import { Link } from 'react-router'
import { EmptyState } from '../components/EmptyState.tsx'
import { SearchIcon, SourcesIcon } from '../components/icons.tsx'
import { LoadMore } from '../components/LoadMore.tsx'
import { PageHeader } from '../components/PageHeader.tsx'
import { LoadError, Loading } from '../components/QueryStates.tsx'
import { SearchField } from '../components/SearchField.tsx'
import { SendDataSnippet } from '../data/SendDataSnippet.tsx'
import { StreamTable } from '../data/StreamTable.tsx'
import { useDebouncedValue } from '../hooks/useDebouncedValue.ts'
import { useHasRole } from '../queries/auth.ts'
import { useStreams } from '../queries/streams.ts'

/** Every stream that has received data, with how much and how recently. */
export function StreamsPage() {
  const [search, setSearch] = useState('')
  const q = useDebouncedValue(search.trim())
  const streams = useStreams(q)
  const admin = useHasRole('admin')
  const hasNone = streams.isSuccess && !streams.isPlaceholderData && q === '' && streams.items.length === 0

  return (
    <>
      <PageHeader
        title="Streams"
        subtitle="Raw messages as each sender sent them, kept so profiles can be rebuilt when rules change."
      />
      {hasNone ? (
        <EmptyState
          icon={<SourcesIcon size={28} />}
          title="No streams yet"
          actions={
            admin ? (
              <Link className="button button-primary" to="/data/keys">
                Create a data key
              </Link>
            ) : undefined
          }
        >
          <p>
            No streams yet — create a data key and send an event. A stream appears with its first message.
            {admin ? '' : ' Ask an admin for a data key.'}
          </p>
          <SendDataSnippet />
        </EmptyState>
      ) : (
        <>
          <div className="toolbar">
            <SearchField label="Search streams" value={search} onChange={setSearch} />
          </div>
          {streams.isPending ? (
            <Loading label="Loading streams…" />
          ) : streams.isError ? (
            <LoadError error={streams.error} onRetry={() => void streams.refetch()} />
          ) : streams.items.length === 0 ? (
            <EmptyState icon={<SearchIcon />} title="No streams match your search">
              <p>No stream is named like “{q}”. Try another word or clear the search.</p>
            </EmptyState>
          ) : (
            <>
              <StreamTable streams={streams.items} />
              <LoadMore list={streams} />
            </>
          )}
        </>
      )}
    </>
  )
}
