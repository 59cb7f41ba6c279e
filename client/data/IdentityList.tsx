import type { Identity } from './types.ts'

/** A flagged identity joined too many profiles (the merge cap), so Sluice stopped merging by it. */
export function FlaggedBadge() {
  return (
    <span
      className="badge badge-warning"
      title="This value joined too many profiles, so Sluice no longer merges profiles by it."
    >
      Flagged
    </span>
  )
}

export function IdentityList({ identities }: { identities: Identity[] }) {
  if (identities.length === 0) return <p className="muted">No identities.</p>
  return (
    <ul className="identity-list">
      {identities.map((identity) => (
        <li key={`${identity.field}:${identity.value}`} className="identity-item">
          <span className="identity-field">{identity.field}</span>
          <span className="identity-value">{identity.value}</span>
          {identity.flagged && <FlaggedBadge />}
        </li>
      ))}
    </ul>
  )
}
