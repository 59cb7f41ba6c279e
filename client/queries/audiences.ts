import { useQuery } from '@tanstack/react-query'
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
