import { queryOptions, useQuery } from '@tanstack/react-query'
import { api } from '../lib/api.ts'
import type { ProviderInfo } from '../types.ts'

/** The node catalogue as the server serves it; it changes only with a release. */
export const providersQuery = queryOptions({
  queryKey: ['providers'],
  queryFn: ({ signal }) => api.get<ProviderInfo[]>('/api/providers', undefined, signal),
  staleTime: Number.POSITIVE_INFINITY,
})

export function useProviders() {
  return useQuery(providersQuery)
}

export function useProvider(id: string | undefined): ProviderInfo | undefined {
  const { data } = useProviders()
  return id === undefined ? undefined : data?.find((provider) => provider.id === id)
}
