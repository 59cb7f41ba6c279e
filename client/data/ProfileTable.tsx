import { Link } from 'react-router'
import { DataTable } from '../components/DataTable.tsx'
import { RelativeTime } from '../components/RelativeTime.tsx'
import { FlaggedBadge } from './IdentityList.tsx'
import { profilePath } from './MessageCard.tsx'
import type { ProfileSummary } from './types.ts'

export function ProfileTable({ profiles }: { profiles: ProfileSummary[] }) {
  return (
    <DataTable columns={['Identities', 'Updated']}>
      {profiles.map((profile) => {
        const [first, ...rest] = profile.identities
        return (
          <tr key={profile.id}>
            <td>
              <Link className="row-title" to={profilePath(profile.id)}>
                {first?.value ?? profile.id}
              </Link>
              {first && <span className="identity-field inline">{first.field}</span>}
              {first?.flagged && <FlaggedBadge />}
              {rest.length > 0 && (
                <div className="row-subtitle">
                  {rest.map((identity) => `${identity.field}: ${identity.value}`).join(' · ')}
                </div>
              )}
            </td>
            <td className="muted">
              <RelativeTime iso={profile.updatedAt} />
            </td>
          </tr>
        )
      })}
    </DataTable>
  )
}
