import type { ReactNode } from 'react'
import { LogoMark } from '../components/Logo.tsx'
import { LoadError, Loading } from '../components/QueryStates.tsx'
import { useSession, useSetupStatus } from '../queries/auth.ts'
import type { User } from '../types.ts'
import { LoginPage } from './LoginPage.tsx'
import { SetupPage } from './SetupPage.tsx'

function Splash({ children }: { children: ReactNode }) {
  return (
    <div className="auth-page">
      <div className="splash">
        <LogoMark size={40} />
        {children}
      </div>
    </div>
  )
}

/**
 * Renders the app for a signed-in user, and otherwise the setup or login screen in place, whatever
 * the URL: after signing in the person lands where they were going.
 * Setup is asked first: on a fresh install there is no session to look for, and asking
 * /api/auth/me anyway would put a 401 in the browser console on the very first visit.
 */
export function AuthGate({ children }: { children: (user: User) => ReactNode }) {
  const setup = useSetupStatus()
  const session = useSession(setup.data?.required === false)

  const pending = setup.isPending || (setup.data?.required === false && session.isPending)
  if (pending) {
    return (
      <Splash>
        <Loading label="Loading Sluice…" />
      </Splash>
    )
  }
  const failed = setup.isError ? setup : session.isError ? session : null
  if (failed) {
    return (
      <Splash>
        <LoadError error={failed.error} onRetry={() => void failed.refetch()} />
      </Splash>
    )
  }
  if (setup.data?.required) return <SetupPage />
  return session.data ? children(session.data) : <LoginPage />
}
