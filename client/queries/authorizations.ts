import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '../lib/api.ts'

/** A Vault authorization as the API lists it: secret fields only ever say `{ set: true }`. */
export interface AuthorizationSummary {
  id: string
  name: string
  description: string | null
  provider: string
  method: string
  /** Non-secret fields; each stored secret as `{ set: true }`. */
  fields?: Record<string, unknown>
  /** Why the credentials stopped working (an OAuth2 refresh refused, say). */
  error?: string | null
  expiresAt?: string | null
  createdBy?: string
  createdByName?: string | null
  createdAt: string
  updatedAt?: string
  /** Ids of the jobs wired to it. */
  usedBy?: string[]
}

export interface NewAuthorization {
  name: string
  description?: string
  provider: string
  method: string
  credentials: Record<string, unknown>
}

/** The jobs a refused delete names (409 AuthorizationInUse's details). */
export interface JobUsingAuthorization {
  id: string
  name: string
  pipelineId: string | null
}

const keys = { all: ['authorizations'] as const }
const path = (id: string) => `/api/authorizations/${encodeURIComponent(id)}`

/** The Vault's authorizations, optionally of one provider or matching a search. */
export function useAuthorizations(provider?: string, q = '') {
  return useQuery({
    queryKey: [...keys.all, 'list', provider ?? null, q],
    queryFn: ({ signal }) => api.get<AuthorizationSummary[]>('/api/authorizations', { provider, q }, signal),
    placeholderData: keepPreviousData,
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

/** Rename, describe or rotate: credentials are merged over the stored ones. */
export function useUpdateAuthorization(id: string) {
  const client = useQueryClient()
  return useMutation({
    mutationFn: (patch: { name?: string; description?: string; credentials?: Record<string, unknown> }) =>
      api.patch<AuthorizationSummary>(path(id), patch),
    onSuccess: () => void client.invalidateQueries({ queryKey: keys.all }),
    meta: { inlineErrors: true },
  })
}

export function useDeleteAuthorization(id: string) {
  const client = useQueryClient()
  return useMutation({
    mutationFn: () => api.delete(path(id)),
    onSuccess: () => void client.invalidateQueries({ queryKey: keys.all }),
    meta: { inlineErrors: true },
  })
}

/** The connector's check with the stored credentials: `{ ok, message }`. */
export function useTestAuthorization(id: string) {
  return useMutation({
    mutationFn: () => api.post<{ ok: boolean; message: string }>(`${path(id)}/test`, {}),
    meta: { inlineErrors: true },
  })
}
