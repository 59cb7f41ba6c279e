import { type ReactNode, Suspense } from 'react'
import { NavLink, Outlet } from 'react-router'
import type { User } from '../types.ts'
import {
  AlertIcon,
  DataIcon,
  DestinationsIcon,
  EnrichmentIcon,
  PipelinesIcon,
  SourcesIcon,
  UsersIcon,
  VaultIcon,
} from './icons.tsx'
import { Logo } from './Logo.tsx'
import { Loading } from './QueryStates.tsx'
import { UserMenu } from './UserMenu.tsx'

const NAV: { to: string; label: string; icon: ReactNode; admin?: boolean }[] = [
  { to: '/pipelines', label: 'Pipelines', icon: <PipelinesIcon /> },
  { to: '/sources', label: 'Sources', icon: <SourcesIcon /> },
  { to: '/destinations', label: 'Destinations', icon: <DestinationsIcon /> },
  { to: '/enrichment', label: 'Enrichment', icon: <EnrichmentIcon /> },
  { to: '/vault', label: 'Vault', icon: <VaultIcon /> },
  { to: '/data', label: 'Data', icon: <DataIcon /> },
  { to: '/alerts', label: 'Alerts', icon: <AlertIcon /> },
  { to: '/admin', label: 'Users', icon: <UsersIcon />, admin: true },
]

/** The signed-in frame: sidebar navigation, top bar with the user, and the page. */
export function AppShell({ user }: { user: User }) {
  return (
    <div className="app">
      <aside className="sidebar">
        <div className="sidebar-brand">
          <Logo />
        </div>
        <nav aria-label="Main" className="nav">
          {NAV.filter((item) => !item.admin || user.role === 'admin').map((item) => (
            <NavLink key={item.to} to={item.to} className="nav-link">
              {item.icon}
              <span>{item.label}</span>
            </NavLink>
          ))}
        </nav>
        <div className="sidebar-footer">
          <a className="sidebar-link" href="/api/docs" target="_blank" rel="noreferrer">
            API reference
          </a>
        </div>
      </aside>
      <div className="main-column">
        <header className="topbar">
          <div className="topbar-spacer" />
          <UserMenu user={user} />
        </header>
        <main className="content">
          <Suspense fallback={<Loading label="Loading…" />}>
            <Outlet />
          </Suspense>
        </main>
      </div>
    </div>
  )
}
