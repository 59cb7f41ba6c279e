import { Link } from 'react-router'
import { formatDateTime, formatRelative } from '../format.ts'
import { FlaggedBadge } from './IdentityList.tsx'
import { profilePath } from './MessageCard.tsx'
import type { ProfileSummary } from './types.ts'

export function ProfileTable({ profiles }: { profiles: ProfileSummary[] }) {
  return (
    <div className="table-wrap">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Identities</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
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
                  <time dateTime={profile.updatedAt} title={formatDateTime(profile.updatedAt)}>
                    {formatRelative(profile.updatedAt)}
                  </time>
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}
