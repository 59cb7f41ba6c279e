import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '../lib/api.ts'

/** A Vault authorization as the API lists it: secret fields only ever say `{ set: true }`. */
export interface AuthorizationSummary {
  id: string
  name: string
  description: string | null
  provider: string
  method: string
  createdAt: string
}

export interface NewAuthorization {
  name: string
  provider: string
  method: string
  credentials: Record<string, unknown>
}

const keys = { all: ['authorizations'] as const }

/** The Vault's authorizations, optionally of one provider. */
export function useAuthorizations(provider?: string) {
  return useQuery({
    queryKey: [...keys.all, 'list', provider ?? null],
    queryFn: ({ signal }) => api.get<AuthorizationSummary[]>('/api/authorizations', { provider }, signal),
  })
}

export function useCreateAuthorization() {
  const client = useQueryClient()
  return useMutation({
    mutationFn: (body: NewAuthorization) => api.post<AuthorizationSummary>('/api/authorizations', body),
    onSuccess: () => void client.invalidateQueries({ queryKey: keys.all }),
    meta: { inlineErrors: true },
  })
}
