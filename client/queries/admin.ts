import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '../lib/api.ts'
import type { Role } from '../types.ts'

export interface AdminUser {
  id: string
  email: string
  name: string
  role: Role
  createdAt: string
  lastLoginAt: string | null
  disabled: boolean
}

export interface ApiToken {
  id: string
  name: string
  role: Role
  prefix: string
  createdAt: string
  lastUsedAt: string | null
}

export function useUsers() {
  return useQuery({
    queryKey: ['users'],
    queryFn: ({ signal }) => api.get<AdminUser[]>('/api/users', undefined, signal),
  })
}

export function useTokens() {
  return useQuery({
    queryKey: ['tokens'],
    queryFn: ({ signal }) => api.get<ApiToken[]>('/api/tokens', undefined, signal),
  })
}

/** Create, change and remove users and tokens; each refreshes its list. */
export function useAdminMutations() {
  const client = useQueryClient()
  const refresh = (key: string) => () => void client.invalidateQueries({ queryKey: [key] })
  return {
    createUser: useMutation({
      mutationFn: (body: { email: string; name: string; password: string; role: Role }) =>
        api.post<AdminUser>('/api/users', body),
      onSuccess: refresh('users'),
      meta: { inlineErrors: true },
    }),
    setRole: useMutation({
      mutationFn: ({ id, role }: { id: string; role: Role }) =>
        api.patch<AdminUser>(`/api/users/${encodeURIComponent(id)}`, { role }),
      onSettled: refresh('users'),
    }),
    setDisabled: useMutation({
      mutationFn: ({ id, disabled }: { id: string; disabled: boolean }) =>
        api.patch<AdminUser>(`/api/users/${encodeURIComponent(id)}`, { disabled }),
      onSettled: refresh('users'),
    }),
    deleteUser: useMutation({
      mutationFn: (id: string) => api.delete(`/api/users/${encodeURIComponent(id)}`),
      onSettled: refresh('users'),
    }),
    createToken: useMutation({
      mutationFn: (body: { name: string; role: Role }) =>
        api.post<ApiToken & { token: string }>('/api/tokens', body),
      onSuccess: refresh('tokens'),
      meta: { inlineErrors: true },
    }),
    revokeToken: useMutation({
      mutationFn: (id: string) => api.delete(`/api/tokens/${encodeURIComponent(id)}`),
      onSettled: refresh('tokens'),
    }),
  }
}
