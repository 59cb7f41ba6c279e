import type { ReactNode } from 'react'
import { LogoMark } from '../components/Logo.tsx'

/** The centred card the signed-out screens share. */
export function AuthCard({
  title,
  subtitle,
  children,
}: {
  title: string
  subtitle: string
  children: ReactNode
}) {
  return (
    <div className="auth-page">
      <main className="auth-card">
        <div className="auth-brand">
          <LogoMark size={40} />
          <span className="logo-name">Sluice</span>
        </div>
        <h1 className="auth-title">{title}</h1>
        <p className="auth-subtitle">{subtitle}</p>
        {children}
      </main>
    </div>
  )
}
