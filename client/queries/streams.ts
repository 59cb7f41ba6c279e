import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import type { RawMessage, Stream } from '../data/types.ts'
import { ApiRequestError, api } from '../lib/api.ts'
import { useCursorList } from './list.ts'

export const streamKeys = {
  all: ['streams'] as const,
  list: ['streams', 'list'] as const,
  detail: (name: string) => ['streams', 'detail', name] as const,
  messages: (name: string) => ['streams', 'messages', name] as const,
}

const path = (name: string) => `/api/streams/${encodeURIComponent(name)}`

const FIRST_EVENT_POLL_MS = 5_000

export function useStreams(q: string) {
  return useCursorList<Stream>(
    streamKeys.list,
    '/api/streams',
    { q },
    {
      // An install without data waits for its first event: look again every few seconds until one lands.
      refetchInterval: (pages) =>
        q === '' && pages.every((page) => page.items.length === 0) ? FIRST_EVENT_POLL_MS : false,
    },
  )
}

/** One stream, or null when there is none by that name. */
export function useStream(name: string) {
  return useQuery({
    queryKey: streamKeys.detail(name),
    queryFn: async ({ signal }) => {
      try {
        return await api.get<Stream>(path(name), {}, signal)
      } catch (error) {
        if (error instanceof ApiRequestError && error.status === 404) return null
        throw error
      }
    },
  })
}

/** A stream's raw messages, newest first, a page at a time. */
export function useStreamMessages(name: string) {
  return useCursorList<RawMessage>(streamKeys.messages(name), `${path(name)}/messages`, { limit: 20 })
}

export function useSetRetention(name: string) {
  const client = useQueryClient()
  return useMutation({
    mutationFn: (retentionDays: number | null) => api.patch<Stream>(path(name), { retentionDays }),
    onSuccess: (stream) => {
      client.setQueryData(streamKeys.detail(name), stream)
      void client.invalidateQueries({ queryKey: streamKeys.list })
    },
    meta: { inlineErrors: true },
  })
}
