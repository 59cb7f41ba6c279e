import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import type { IdentityRules, IdentityRulesDraft } from '../data/types.ts'
import { api } from '../lib/api.ts'

const rulesKey = ['identity-rules'] as const

/** The fields that identify a person, by priority (1 = strongest). */
export function useIdentityRules() {
  return useQuery({
    queryKey: rulesKey,
    queryFn: ({ signal }) => api.get<IdentityRules>('/api/identity-rules', undefined, signal),
  })
}

export function useSaveIdentityRules() {
  const client = useQueryClient()
  return useMutation({
    mutationFn: (rules: IdentityRulesDraft) => api.put<IdentityRules>('/api/identity-rules', rules),
    onSuccess: (rules) => client.setQueryData(rulesKey, rules),
    meta: { inlineErrors: true },
  })
}
