import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query'
import { useMemo } from 'react'
import { api, type Query } from '../lib/api.ts'

/**
 * A list endpoint read page by page through its `X-Next-Cursor` header.
 * Keeps the previous items on screen while a new search loads, so tables do not flash.
 */
export function useCursorList<T>(key: readonly unknown[], path: string, query: Query) {
  const result = useInfiniteQuery({
    queryKey: [...key, query],
    queryFn: ({ pageParam, signal }) => api.list<T>(path, { ...query, cursor: pageParam }, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    placeholderData: keepPreviousData,
  })
  const items = useMemo(() => result.data?.pages.flatMap((page) => page.items) ?? [], [result.data])
  return { ...result, items }
}
