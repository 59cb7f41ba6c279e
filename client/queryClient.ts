import { MutationCache, QueryClient } from '@tanstack/react-query'
import { toast } from './components/toast-store.ts'
import { ApiRequestError, errorMessage, onUnauthorized } from './lib/api.ts'
import { sessionKey } from './queries/auth.ts'

/** Retrying a 4xx cannot help; a network blip or a 5xx may pass. */
function shouldRetry(failures: number, error: unknown): boolean {
  if (error instanceof ApiRequestError && error.status >= 400 && error.status < 500) return false
  return failures < 2
}

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: { retry: shouldRetry, staleTime: 10_000, refetchOnWindowFocus: true },
    mutations: { retry: false },
  },
  // Mutations that show their error in place (forms, dialogs) set `meta: { inlineErrors: true }`.
  mutationCache: new MutationCache({
    onError: (error, _variables, _context, mutation) => {
      if (mutation.meta?.inlineErrors) return
      if (error instanceof ApiRequestError && error.status === 401) return
      toast.error(errorMessage(error))
    },
  }),
})

// A 401 anywhere means the session ended: forget the user (the app shows the login screen) and
// drop everything cached under the old session.
onUnauthorized(() => {
  if (queryClient.getQueryData(sessionKey) === null) return
  queryClient.setQueryData(sessionKey, null)
  queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== 'auth' })
  toast.info('Your session ended. Please sign in again.')
})
