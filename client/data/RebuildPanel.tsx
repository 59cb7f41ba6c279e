import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { FormError } from '../components/FormError.tsx'
import { ProgressBar } from '../components/ProgressBar.tsx'
import { toast } from '../components/toast-store.ts'
import { formatDateTime, formatNumber } from '../format.ts'
import { api } from '../lib/api.ts'

interface Rebuild {
  jobId: string
  status: string
  phase: 'waiting' | 'order' | 'replay' | 'catch-up' | 'swap' | 'done'
  replayed: number
  total: number
  percent: number
  profiles: number | null
  lastError: string | null
  createdAt: string
}

const PHASES = {
  waiting: 'Waiting to start',
  order: 'Putting messages in order',
  replay: 'Replaying messages',
  'catch-up': 'Catching up with new messages',
  swap: 'Switching to the new profiles',
  done: 'Done',
} as const
const key = ['profiles', 'rebuild'] as const

/**
 * Rebuild (DESIGN.md §5): replays every raw message under the current rules into new profiles,
 * then switches over at once; the panel shows the latest rebuild's progress while it runs.
 */
export function RebuildPanel({ admin }: { admin: boolean }) {
  const client = useQueryClient()
  const latest = useQuery({
    queryKey: key,
    queryFn: async ({ signal }) =>
      (await api.get<Rebuild[]>('/api/profiles/rebuilds', undefined, signal))[0] ?? null,
    refetchInterval: (query) =>
      query.state.data && query.state.data.phase !== 'done' && !query.state.data.lastError ? 1000 : false,
  })
  const start = useMutation({
    mutationFn: () => api.post<{ jobId: string }>('/api/profiles/rebuild', {}),
    onSuccess: () => {
      toast.success('Rebuild started.')
      void client.invalidateQueries({ queryKey: key })
    },
    meta: { inlineErrors: true },
  })
  const rebuild = latest.data
  const running = Boolean(rebuild && rebuild.phase !== 'done' && !rebuild.lastError)
  return (
    <section className="vault-section" aria-label="Rebuild">
      <div className="section-head">
        <h2>Rebuild profiles</h2>
        {admin && (
          <button
            type="button"
            className="button"
            disabled={running || start.isPending}
            onClick={() => start.mutate()}
          >
            Rebuild
          </button>
        )}
      </div>
      <p className="field-hint">
        Applies the rules above to every message already received. Profiles stay usable while it runs and
        switch over at the end.
      </p>
      <FormError error={start.error} />
      {rebuild && (
        <div className="upload-step" data-testid="rebuild-progress">
          <span>
            {PHASES[rebuild.phase]}
            {rebuild.total ? ` · ${formatNumber(rebuild.replayed)} of ${formatNumber(rebuild.total)}` : ''}
          </span>
          <ProgressBar done={rebuild.percent} total={100} label="Rebuild" />
        </div>
      )}
      {rebuild?.phase === 'done' && (
        <p className="muted">
          Last rebuild started {formatDateTime(rebuild.createdAt)}
          {rebuild.profiles !== null ? `: ${formatNumber(rebuild.profiles)} profiles` : ''}.
        </p>
      )}
      {rebuild?.lastError && <FormError error={rebuild.lastError} />}
    </section>
  )
}
