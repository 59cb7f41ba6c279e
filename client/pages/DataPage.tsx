import { Suspense } from 'react'
import { NavLink, Outlet } from 'react-router'
import { Loading } from '../components/QueryStates.tsx'
import { useHasRole } from '../queries/auth.ts'

const TABS = [
  { to: 'streams', label: 'Streams', admin: false },
  { to: 'profiles', label: 'Profiles', admin: false },
  { to: 'audiences', label: 'Audiences', admin: false },
  { to: 'uploads', label: 'Uploads', admin: false },
  { to: 'keys', label: 'Data keys', admin: true },
  { to: 'identity-rules', label: 'Identity rules', admin: false },
]

/**
 * The data plane (DESIGN.md §5): what was collected, the people built from it, and the keys and
 * rules behind both. Each tab is its own page below this frame.
 */
export function DataPage() {
  const admin = useHasRole('admin')
  return (
    <div className="page">
      <nav className="tabs" aria-label="Data">
        {TABS.filter((tab) => admin || !tab.admin).map((tab) => (
          <NavLink key={tab.to} to={tab.to} className="tab">
            {tab.label}
          </NavLink>
        ))}
      </nav>
      <Suspense fallback={<Loading label="Loading…" />}>
        <Outlet />
      </Suspense>
    </div>
  )
}
