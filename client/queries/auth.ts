import { type QueryClient, queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, isApiError } from '../lib/api.ts'
import type { Role, SetupStatus, User } from '../types.ts'

export const sessionKey = ['auth', 'me'] as const
const setupKey = ['auth', 'setup'] as const

/** The signed-in user, or null when there is no session (401 is an answer here, not an error). */
export function useSession(enabled: boolean) {
  return useQuery({
    queryKey: sessionKey,
    queryFn: async ({ signal }): Promise<User | null> => {
      try {
        return await api.get<User>('/api/auth/me', undefined, signal)
      } catch (error) {
        if (isApiError(error, 401)) return null
        throw error
      }
    },
    enabled,
    staleTime: Number.POSITIVE_INFINITY,
  })
}

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 }

/**
 * Whether the signed-in user holds `role` or a stronger one. Pages inside the app shell always
 * have the session cached, so this never fetches; the server checks again on every request.
 */
export function useHasRole(role: Role): boolean {
  const user = useSession(true).data
  return user ? RANK[user.role] >= RANK[role] : false
}

/**
 * Whether the first admin still has to be created (it only ever turns false, when someone sets
 * up), and who is signed in: the answer seeds the session, so starting the app takes one request.
 */
export const setupQuery = (client: QueryClient) =>
  queryOptions({
    queryKey: setupKey,
    queryFn: async ({ signal }) => {
      const status = await api.get<SetupStatus>('/api/auth/setup', undefined, signal)
      client.setQueryData(sessionKey, status.user)
      return status
    },
    staleTime: Number.POSITIVE_INFINITY,
  })

export function useSetupStatus() {
  return useQuery(setupQuery(useQueryClient()))
}

/** After a session starts, read the user back from the server rather than trusting the answer's shape. */
function useSignedIn() {
  const client = useQueryClient()
  return async () => {
    client.removeQueries({ predicate: (query) => query.queryKey[0] !== 'auth' })
    await client.invalidateQueries({ queryKey: ['auth'] })
  }
}

export function useLogin() {
  const signedIn = useSignedIn()
  return useMutation({
    mutationFn: (body: { email: string; password: string }) => api.post<unknown>('/api/auth/login', body),
    onSuccess: signedIn,
    meta: { inlineErrors: true },
  })
}

export function useSetup() {
  const signedIn = useSignedIn()
  return useMutation({
    mutationFn: (body: { name: string; email: string; password: string }) =>
      api.post<unknown>('/api/auth/setup', body),
    onSuccess: signedIn,
    meta: { inlineErrors: true },
  })
}

export function useLogout() {
  const client = useQueryClient()
  return useMutation({
    mutationFn: () => api.post<unknown>('/api/auth/logout'),
    onSettled: () => {
      client.setQueryData(sessionKey, null)
      client.removeQueries({ predicate: (query) => query.queryKey[0] !== 'auth' })
      void client.invalidateQueries({ queryKey: ['auth', 'setup'] })
    },
  })
}
