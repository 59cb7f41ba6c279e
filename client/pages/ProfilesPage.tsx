import { Link, useSearchParams } from 'react-router'
import { EmptyState } from '../components/EmptyState.tsx'
import { DataIcon, SearchIcon } from '../components/icons.tsx'
import { LoadMore } from '../components/LoadMore.tsx'
import { PageHeader } from '../components/PageHeader.tsx'
import { LoadError, Loading } from '../components/QueryStates.tsx'
import { SearchField } from '../components/SearchField.tsx'
import { ProfileTable } from '../data/ProfileTable.tsx'
import { useDebouncedValue } from '../hooks/useDebouncedValue.ts'
import { useProfiles } from '../queries/profiles.ts'

/**
 * Find people by an identity (email, user id) or an attribute value. The search lives in the
 * address, so coming back from a profile shows the same results.
 */
export function ProfilesPage() {
  const [params, setParams] = useSearchParams()
  const search = params.get('q') ?? ''
  const setSearch = (value: string) => setParams(value ? { q: value } : {}, { replace: true })
  const q = useDebouncedValue(search.trim())
  const profiles = useProfiles(q)
  const hasNone = profiles.isSuccess && !profiles.isPlaceholderData && q === '' && profiles.items.length === 0

  return (
    <>
      <PageHeader
        title="Profiles"
        subtitle="One profile per person, unified across streams by the identity rules."
      />
      {hasNone ? (
        <EmptyState
          icon={<DataIcon size={28} />}
          title="No profiles yet"
          actions={
            <>
              <Link className="button button-primary" to="/data/streams">
                See streams
              </Link>
              <Link className="button" to="/data/identity-rules">
                Identity rules
              </Link>
            </>
          }
        >
          <p>
            No profiles yet — send an event with an identity, such as an <code>email</code> or a{' '}
            <code>user_id</code>, and Sluice builds a profile from it.
          </p>
        </EmptyState>
      ) : (
        <>
          <div className="toolbar">
            <SearchField label="Search by email, id or attribute" value={search} onChange={setSearch} />
          </div>
          {profiles.isPending ? (
            <Loading label="Loading profiles…" />
          ) : profiles.isError ? (
            <LoadError error={profiles.error} onRetry={() => void profiles.refetch()} />
          ) : profiles.items.length === 0 ? (
            <EmptyState icon={<SearchIcon />} title="No profiles match your search">
              <p>No identity or attribute matches “{q}”. Check the spelling or search another value.</p>
            </EmptyState>
          ) : (
            <>
              <ProfileTable profiles={profiles.items} />
              <LoadMore list={profiles} />
            </>
          )}
        </>
      )}
    </>
  )
}
