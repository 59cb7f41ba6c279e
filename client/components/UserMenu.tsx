import { useEffect, useId, useRef, useState } from 'react'
import { useLogout } from '../queries/auth.ts'
import type { User } from '../types.ts'
import { ChevronDownIcon } from './icons.tsx'

function initials(user: User): string {
  const source = user.name.trim() || user.email
  const parts = source.split(/\s+/).filter(Boolean)
  return ((parts[0]?.[0] ?? '') + (parts[1]?.[0] ?? '')).toUpperCase() || '?'
}

/** The signed-in user in the top bar, opening a menu with who they are and "Sign out". */
export function UserMenu({ user }: { user: User }) {
  const [open, setOpen] = useState(false)
  const menuId = useId()
  const root = useRef<HTMLDivElement>(null)
  const logout = useLogout()

  useEffect(() => {
    if (!open) return
    const onPointer = (event: PointerEvent) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false)
    }
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') setOpen(false)
    }
    document.addEventListener('pointerdown', onPointer)
    document.addEventListener('keydown', onKey)
    return () => {
      document.removeEventListener('pointerdown', onPointer)
      document.removeEventListener('keydown', onKey)
    }
  }, [open])

  return (
    <div className="user-menu" ref={root}>
      <button
        type="button"
        className="user-button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={menuId}
        onClick={() => setOpen((value) => !value)}
      >
        <span className="avatar" aria-hidden="true">
          {initials(user)}
        </span>
        <span className="user-name">{user.name || user.email}</span>
        <ChevronDownIcon />
      </button>
      {open && (
        <div className="menu" id={menuId} role="menu" aria-label="Account">
          <div className="menu-header">
            <div className="menu-name">{user.name}</div>
            <div className="menu-email">{user.email}</div>
            <span className="badge badge-role">{user.role}</span>
          </div>
          <button
            type="button"
            role="menuitem"
            className="menu-item"
            disabled={logout.isPending}
            onClick={() => logout.mutate()}
          >
            Sign out
          </button>
        </div>
      )}
    </div>
  )
}
