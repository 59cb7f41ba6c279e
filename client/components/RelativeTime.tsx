import type { ReactNode } from 'react'
import { formatDateTime, formatRelative } from '../format.ts'

/**
 * A moment in words relative to now ("3 minutes ago"), the exact time on hover; `never` stands
 * in when there is none. Pass `now` from useNow to keep it ticking.
 */
export function RelativeTime({
  iso,
  never = '',
  now,
}: {
  iso: string | null | undefined
  never?: ReactNode
  now?: number
}) {
  if (!iso) return <>{never}</>
  return (
    <time dateTime={iso} title={formatDateTime(iso)}>
      {formatRelative(iso, now)}
    </time>
  )
}
