import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query'
import { useMemo } from 'react'
import { api, type Page, type Query } from '../lib/api.ts'

interface CursorListOptions<T> {
  /** Poll every this many ms while it answers a number for the pages loaded so far; false stops. */
  refetchInterval?: (pages: Page<T>[]) => number | false
  /** Fetch again on mount even if cached moments ago (a picker must offer what exists now). */
  fresh?: boolean
}

/**
 * A list endpoint read page by page through its `X-Next-Cursor` header.
 * Keeps the previous items on screen while a new search loads, so tables do not flash.
 */
export function useCursorList<T>(
  key: readonly unknown[],
  path: string,
  query: Query,
  options: CursorListOptions<T> = {},
) {
  const { refetchInterval, fresh } = options
  const result = useInfiniteQuery({
    queryKey: [...key, query],
    queryFn: ({ pageParam, signal }) => api.list<T>(path, { ...query, cursor: pageParam }, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    placeholderData: keepPreviousData,
    ...(fresh ? { refetchOnMount: 'always' as const } : {}),
    refetchInterval: (current) =>
      refetchInterval ? refetchInterval(current.state.data?.pages ?? []) : false,
  })
  const items = useMemo(() => result.data?.pages.flatMap((page) => page.items) ?? [], [result.data])
  return { ...result, items }
}
