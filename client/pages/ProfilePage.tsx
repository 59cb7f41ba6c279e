import { useState } from 'react'
import { Link, useParams } from 'react-router'
import { EmptyState } from '../components/EmptyState.tsx'
import { DataIcon } from '../components/icons.tsx'
import { LoadMore } from '../components/LoadMore.tsx'
import { PageHeader } from '../components/PageHeader.tsx'
import { LoadError, Loading } from '../components/QueryStates.tsx'
import { AttributeTable } from '../data/AttributeTable.tsx'
import { DeleteProfileDialog } from '../data/DeleteProfileDialog.tsx'
import { IdentityList } from '../data/IdentityList.tsx'
import { MessageCard } from '../data/MessageCard.tsx'
import { streamPath } from '../data/StreamTable.tsx'
import type { Profile } from '../data/types.ts'
import { formatDateTime } from '../format.ts'
import { isApiError } from '../lib/api.ts'
import { useHasRole } from '../queries/auth.ts'
import { useProfile, useProfileMessages } from '../queries/profiles.ts'

/** One person: what Sluice knows about them, where it came from, and (for admins) erasing it. */
export function ProfilePage() {
  const { id = '' } = useParams()
  const profile = useProfile(id)

  if (profile.isPending) return <Loading label="Loading profile…" />
  if (profile.isError) {
    if (isApiError(profile.error, 404)) {
      return (
        <EmptyState
          icon={<DataIcon size={28} />}
          title="Profile not found"
          actions={
            <Link className="button button-primary" to="/data/profiles">
              Back to Profiles
            </Link>
          }
        >
          <p>It may have been deleted on a privacy request, or the link is wrong.</p>
        </EmptyState>
      )
    }
    return <LoadError error={profile.error} onRetry={() => void profile.refetch()} />
  }
  return <ProfileView profile={profile.data} />
}

function ProfileView({ profile }: { profile: Profile }) {
  const admin = useHasRole('admin')
  const [deleting, setDeleting] = useState(false)
  const label = profile.identities[0]?.value ?? profile.id

  return (
    <>
      <Link className="breadcrumb" to="/data/profiles">
        Profiles
      </Link>
      <PageHeader
        title={label}
        subtitle={
          <>
            Profile <code>{profile.id}</code> · updated {formatDateTime(profile.updatedAt)}
          </>
        }
        actions={
          admin && (
            <button type="button" className="button button-danger" onClick={() => setDeleting(true)}>
              Delete (privacy request)
            </button>
          )
        }
      />
      <div className="profile-layout">
        <section aria-labelledby="attributes-title">
          <h2 id="attributes-title" className="section-title">
            Attributes
          </h2>
          <AttributeTable attributes={profile.attributes} />
        </section>
        <aside className="profile-side">
          <section className="card detail-card" aria-labelledby="identities-title">
            <h3 id="identities-title">Identities</h3>
            <IdentityList identities={profile.identities} />
          </section>
          <section className="card detail-card" aria-labelledby="streams-title">
            <h3 id="streams-title">Streams</h3>
            {profile.streams.length === 0 ? (
              <p className="muted">None kept.</p>
            ) : (
              <ul className="plain-list">
                {profile.streams.map((stream) => (
                  <li key={stream}>
                    <Link to={streamPath(stream)}>{stream}</Link>
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section className="card detail-card" aria-labelledby="merged-title">
            <h3 id="merged-title">Merged from</h3>
            {profile.mergedFrom.length === 0 ? (
              <p className="muted">No other profiles were merged into this one.</p>
            ) : (
              <ul className="plain-list">
                {profile.mergedFrom.map((id) => (
                  <li key={id}>
                    <code>{id}</code>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </aside>
      </div>
      <ProfileActivity id={profile.id} />
      {deleting && <DeleteProfileDialog profile={profile} label={label} onClose={() => setDeleting(false)} />}
    </>
  )
}

/** What reached this person, newest first: the raw messages behind the attributes above. */
function ProfileActivity({ id }: { id: string }) {
  const messages = useProfileMessages(id)
  return (
    <section aria-labelledby="activity-title">
      <h2 id="activity-title" className="section-title">
        Activity
      </h2>
      {messages.isPending ? (
        <Loading label="Loading activity…" />
      ) : messages.isError ? (
        <LoadError error={messages.error} />
      ) : messages.items.length === 0 ? (
        <p className="muted">No raw messages are kept for this person (retention may have removed them).</p>
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
    </section>
  )
}
