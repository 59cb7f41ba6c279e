import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import type { DataKey, NewDataKey } from '../data/types.ts'
import { api } from '../lib/api.ts'

const dataKeysKey = ['data-keys'] as const

/** Data keys for the collect API (admin only); values are never listed. */
export function useDataKeys(enabled: boolean) {
  return useQuery({
    queryKey: dataKeysKey,
    queryFn: ({ signal }) => api.get<DataKey[]>('/api/data-keys', undefined, signal),
    enabled,
  })
}

export function useCreateDataKey() {
  const client = useQueryClient()
  return useMutation({
    mutationFn: (body: { name: string; stream?: string }) => api.post<NewDataKey>('/api/data-keys', body),
    onSuccess: () => void client.invalidateQueries({ queryKey: dataKeysKey }),
    meta: { inlineErrors: true },
  })
}

export function useDeleteDataKey() {
  const client = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api.delete(`/api/data-keys/${encodeURIComponent(id)}`),
    onSuccess: () => void client.invalidateQueries({ queryKey: dataKeysKey }),
    meta: { inlineErrors: true },
  })
}
