import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import type { AudienceFilter } from '../../nodes/audience.ts'
import { ApiRequestError, api } from '../lib/api.ts'

export interface AudienceInfo {
  id: string
  name: string
  description: string
  count: number
  updatedAt: string
}

/** One saved audience with its live count; null once it is known not to exist. */
export function useAudience(id: string | undefined) {
  return useQuery({
    queryKey: ['audience', id],
    enabled: Boolean(id),
    queryFn: async ({ signal }) => {
      try {
        return await api.get<AudienceInfo>(`/api/audiences/${encodeURIComponent(id!)}`, undefined, signal)
      } catch (error) {
        if (error instanceof ApiRequestError && error.status === 404) return null
        throw error
      }
    },
    // Counts move with the data: refresh now and then while the canvas is open.
    refetchInterval: 30_000,
  })
}

/** A saved audience as listed, with its filter. */
export interface Audience {
  id: string
  name: string
  description: string
  filter: AudienceFilter
  version: number
  createdAt: string
  updatedAt: string
  count?: number
}

export function useAudiences(q: string) {
  return useQuery({
    queryKey: ['audiences', 'list', q],
    queryFn: ({ signal }) => api.get<Audience[]>('/api/audiences', { q, sort: '-updatedAt' }, signal),
    placeholderData: keepPreviousData,
  })
}

/** A saved audience to edit (with its current count). */
export function useAudienceDetail(id: string | undefined) {
  return useQuery({
    queryKey: ['audiences', 'detail', id],
    enabled: Boolean(id),
    queryFn: ({ signal }) =>
      api.get<Audience>(`/api/audiences/${encodeURIComponent(id!)}`, undefined, signal),
  })
}

export interface AudiencePreview {
  count: number
  sample: { id: string; attributes: Record<string, unknown>; updatedAt: string }[]
}

/** The live count and a sample for a filter being built; nothing is saved. */
export function useAudiencePreview(filter: unknown | null) {
  return useQuery({
    queryKey: ['audiences', 'preview', filter],
    enabled: filter !== null,
    queryFn: () => api.post<AudiencePreview>('/api/audiences/preview', { filter, limit: 10 }),
    placeholderData: keepPreviousData,
    retry: false,
  })
}

export function useSaveAudience(id: string | undefined) {
  const client = useQueryClient()
  return useMutation({
    mutationFn: (body: { name: string; description: string; filter: unknown; version?: number }) =>
      id
        ? api.put<Audience>(`/api/audiences/${encodeURIComponent(id)}`, body)
        : api.post<Audience>('/api/audiences', body),
    onSuccess: (saved) => {
      // The page it opens next (or stays on) shows what was saved, without a reload.
      client.setQueryData(['audiences', 'detail', saved.id], saved)
      void client.invalidateQueries({ queryKey: ['audiences', 'list'] })
    },
    meta: { inlineErrors: true },
  })
}

export function useDeleteAudience(id: string) {
  const client = useQueryClient()
  return useMutation({
    mutationFn: () => api.delete(`/api/audiences/${encodeURIComponent(id)}`),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['audiences'] }),
    meta: { inlineErrors: true },
  })
}
