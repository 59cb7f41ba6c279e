import { useQueryClient } from '@tanstack/react-query'
import { useCallback, useEffect, useRef, useState } from 'react'
import type { PipelineDocument } from '../../nodes/pipeline.ts'
import { useCanvasStore } from '../canvas/store.ts'
import { api, errorMessage, isApiError } from '../lib/api.ts'
import { pipelineKeys } from '../queries/pipelines.ts'
import type { Pipeline } from '../types.ts'

/** Quiet time after the last change before it is saved. */
const AUTOSAVE_DELAY_MS = 800

export type SaveState =
  | { kind: 'saved' }
  | { kind: 'unsaved' }
  | { kind: 'saving' }
  /** `retry`: the server or network failed, so the same document is tried again later. */
  | { kind: 'failed'; message: string; retry: boolean; document: PipelineDocument }
  /** Someone else saved a newer version: reload theirs or overwrite it with ours. */
  | { kind: 'conflict' }

/**
 * Saves the edited document shortly after each change, against the version it was based on, so
 * two editors never silently overwrite each other: a stale version answers 409 and the editor
 * chooses. `flush` saves now (validate, plan and deploy read the stored draft).
 */
export function useAutosave(pipelineId: string, enabled: boolean) {
  const client = useQueryClient()
  const dirty = useCanvasStore((state) => state.dirty)
  const document = useCanvasStore((state) => state.document)
  const [state, setState] = useState<SaveState>({ kind: 'saved' })
  const inFlight = useRef<Promise<boolean> | null>(null)

  const put = useCallback(
    async (version: number): Promise<boolean> => {
      const { document: sent, markSaved } = useCanvasStore.getState()
      setState({ kind: 'saving' })
      try {
        const saved = await api.put<Pipeline>(`/api/pipelines/${encodeURIComponent(pipelineId)}`, {
          document: sent,
          version,
        })
        markSaved(sent, saved.version)
        client.setQueryData(pipelineKeys.detail(pipelineId), saved)
        void client.invalidateQueries({ queryKey: pipelineKeys.list })
        setState({ kind: useCanvasStore.getState().dirty ? 'unsaved' : 'saved' })
        return true
      } catch (error) {
        setState(
          isApiError(error, 409, 'VersionConflict')
            ? { kind: 'conflict' }
            : {
                kind: 'failed',
                message: errorMessage(error),
                retry: !isApiError(error) || error.status === 0 || error.status >= 500,
                document: sent,
              },
        )
        return false
      }
    },
    [client, pipelineId],
  )

  const flush = useCallback(async (): Promise<boolean> => {
    if (inFlight.current) await inFlight.current
    if (!useCanvasStore.getState().dirty) return true
    inFlight.current = put(useCanvasStore.getState().version)
    try {
      return await inFlight.current
    } finally {
      inFlight.current = null
    }
  }, [put])

  // biome-ignore lint/correctness/useExhaustiveDependencies: each edit (a new document) restarts the quiet period
  useEffect(() => {
    if (!enabled || !dirty || state.kind === 'conflict' || state.kind === 'saving') return
    // A document the server refused (4xx) waits for the next edit; an outage is retried.
    const refused = state.kind === 'failed' && !state.retry
    if (refused && state.document === document) return
    const retrying = state.kind === 'failed' && state.retry && state.document === document
    if (!retrying) setState({ kind: 'unsaved' })
    const delay = retrying ? 5_000 : AUTOSAVE_DELAY_MS
    const timer = setTimeout(() => void flush(), delay)
    return () => clearTimeout(timer)
  }, [enabled, dirty, document, state.kind, flush])

  // Leaving with unsaved changes asks first.
  useEffect(() => {
    if (!dirty) return
    const warn = (event: BeforeUnloadEvent) => event.preventDefault()
    window.addEventListener('beforeunload', warn)
    return () => window.removeEventListener('beforeunload', warn)
  }, [dirty])

  const latest = () => api.get<Pipeline>(`/api/pipelines/${encodeURIComponent(pipelineId)}`)

  return {
    state,
    flush,
    /** Conflict: keep ours, saved over the newer version. */
    overwrite: async () => {
      const current = await latest()
      await put(current.version)
    },
    /** Conflict: drop ours and show the newer version. */
    reload: async () => {
      const current = await latest()
      client.setQueryData(pipelineKeys.detail(pipelineId), current)
      useCanvasStore.getState().load(pipelineId, current.document, current.version)
      setState({ kind: 'saved' })
    },
  }
}
