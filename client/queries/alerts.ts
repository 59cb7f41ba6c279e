import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '../lib/api.ts'

export type AlertCondition =
  | { kind: 'failed' }
  | { kind: 'error_streak'; errors?: number; longerThan?: string }
  | { kind: 'sleeping'; longerThan: string; reasons?: ('schedule' | 'retry' | 'rate_limit')[] }
  | { kind: 'omitted'; percent: number }

export type AlertTargetInput = { type: 'webhook'; url: string } | { type: 'email'; to: string[] }

export interface AlertRule {
  id: string
  name: string
  description: string
  jobId: string | null
  condition: AlertCondition
  /** Webhooks show their host only; secrets never come back. */
  targets: ({ type: 'webhook'; url: string } | { type: 'email'; to: string[] })[]
  enabled: boolean
  openEpisodes: number
  createdAt: string
  updatedAt: string
  /** On create: webhook signing secrets Sluice generated, shown this once. */
  signingSecrets?: { target: number; secret: string }[]
}

export interface AlertDelivery {
  id: string
  jobId: string
  summary: string
  target: number
  kind: 'webhook' | 'email'
  status: 'pending' | 'sent' | 'failed'
  attempts: number
  lastError: string | null
  nextAttemptAt: string | null
  sentAt: string | null
  createdAt: string
}

const keys = { all: ['alerts'] as const }

export function useAlertRules(q: string) {
  return useQuery({
    queryKey: [...keys.all, 'list', q],
    queryFn: ({ signal }) => api.get<AlertRule[]>('/api/alerts', { q }, signal),
    placeholderData: keepPreviousData,
    // Whether each rule is firing now changes as jobs do.
    refetchInterval: 5_000,
  })
}

export function useAlertDeliveries(id: string | null) {
  return useQuery({
    queryKey: [...keys.all, 'deliveries', id],
    enabled: id !== null,
    queryFn: ({ signal }) =>
      api.get<AlertDelivery[]>(`/api/alerts/${encodeURIComponent(id!)}/deliveries`, undefined, signal),
    // Retries move pending deliveries along.
    refetchInterval: 10_000,
  })
}

export function useCreateAlertRule() {
  const client = useQueryClient()
  return useMutation({
    mutationFn: (body: {
      name: string
      jobId: string | null
      condition: AlertCondition
      targets: AlertTargetInput[]
    }) => api.post<AlertRule>('/api/alerts', body),
    onSuccess: () => void client.invalidateQueries({ queryKey: keys.all }),
    meta: { inlineErrors: true },
  })
}

export function useAlertRuleActions(id: string) {
  const client = useQueryClient()
  const done = () => void client.invalidateQueries({ queryKey: keys.all })
  const path = `/api/alerts/${encodeURIComponent(id)}`
  return {
    toggle: useMutation({
      mutationFn: (enabled: boolean) => api.patch<AlertRule>(path, { enabled }),
      onSuccess: done,
    }),
    test: useMutation({
      mutationFn: () =>
        api.post<{ results: { target: number; type: string; ok: boolean; error: string | null }[] }>(
          `${path}/test`,
          {},
        ),
      meta: { inlineErrors: true },
    }),
    remove: useMutation({ mutationFn: () => api.delete(path), onSuccess: done }),
  }
}
