import type { UseQueryResult } from '@tanstack/react-query'
import type { ReactNode } from 'react'
import { DataTable } from './DataTable.tsx'
import { EmptyState } from './EmptyState.tsx'
import { LoadError, Loading } from './QueryStates.tsx'

/**
 * A searchable list page's body: loading, a load error with retry, empty (none yet — with what to
 * do — or none matching the search), or a table of the rows.
 */
export function QueryList<T>({
  query,
  noun,
  searched,
  icon,
  firstText,
  firstActions,
  columns,
  row,
}: {
  query: UseQueryResult<T[]>
  /** Plural, lower case: "audiences". */
  noun: string
  searched: boolean
  icon: ReactNode
  /** What an empty list tells a new user, and the action that starts one. */
  firstText: string
  firstActions?: ReactNode
  /** Column headers; an empty one is an unlabelled actions column. */
  columns: string[]
  row: (item: T) => ReactNode
}) {
  if (query.isPending) return <Loading label={`Loading ${noun}…`} />
  if (query.isError) return <LoadError error={query.error} onRetry={() => void query.refetch()} />
  if (query.data.length === 0)
    return (
      <EmptyState
        icon={icon}
        title={searched ? `No ${noun} match` : `No ${noun} yet`}
        actions={searched ? undefined : firstActions}
      >
        <p>{searched ? 'Try another search.' : firstText}</p>
      </EmptyState>
    )
  return <DataTable columns={columns}>{query.data.map(row)}</DataTable>
}
