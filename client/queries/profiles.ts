import { type InfiniteData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import type { Profile, ProfileSummary, RawMessage } from '../data/types.ts'
import { api, type Page } from '../lib/api.ts'
import { useCursorList } from './list.ts'
import { streamKeys } from './streams.ts'

export const profileKeys = {
  list: ['profiles', 'list'] as const,
  detail: (id: string) => ['profiles', 'detail', id] as const,
  messages: (id: string) => ['profiles', 'messages', id] as const,
}

const path = (id: string) => `/api/profiles/${encodeURIComponent(id)}`

/** Profiles, most recently changed first; `q` matches an identity value or an attribute. */
export function useProfiles(q: string) {
  return useCursorList<ProfileSummary>(profileKeys.list, '/api/profiles', { q })
}

export function useProfile(id: string) {
  return useQuery({
    queryKey: profileKeys.detail(id),
    queryFn: ({ signal }) => api.get<Profile>(path(id), undefined, signal),
  })
}

/** A person's activity: the raw messages applied to them, newest first, a page at a time. */
export function useProfileMessages(id: string) {
  return useCursorList<RawMessage>(profileKeys.messages(id), `${path(id)}/messages`, { limit: 20 })
}

/** Privacy deletion: the profile and its raw messages go, its identities are suppressed. */
export function useDeleteProfile() {
  const client = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api.delete(path(id)),
    onSuccess: (_result, id) => {
      client.removeQueries({ queryKey: profileKeys.detail(id) })
      // Cached searches drop the person at once, so the list never shows them while it refetches.
      client.setQueriesData<InfiniteData<Page<ProfileSummary>>>({ queryKey: profileKeys.list }, (data) =>
        data
          ? {
              ...data,
              pages: data.pages.map((page) => ({
                ...page,
                items: page.items.filter((profile) => profile.id !== id),
              })),
            }
          : data,
      )
      void client.invalidateQueries({ queryKey: profileKeys.list })
      // Its raw messages are gone too, so stream counts and message lists change.
      void client.invalidateQueries({ queryKey: streamKeys.all })
    },
    meta: { inlineErrors: true },
  })
}
