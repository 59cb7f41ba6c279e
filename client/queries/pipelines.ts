import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import type { PipelineDocument } from '../../nodes/pipeline.ts'
import { api, errorMessage, isApiError } from '../lib/api.ts'
import type {
  DeployPlan,
  DeployResult,
  NewPipeline,
  NodeStatus,
  Pipeline,
  PipelineStatus,
  PipelineSummary,
  ValidationResult,
} from '../types.ts'
import { useCursorList } from './list.ts'

export const pipelineKeys = {
  list: ['pipelines', 'list'] as const,
  detail: (id: string) => ['pipelines', 'detail', id] as const,
  status: (id: string) => ['pipelines', 'status', id] as const,
}

export function usePipelines(q: string, options: { fresh?: boolean } = {}) {
  return useCursorList<PipelineSummary>(pipelineKeys.list, '/api/pipelines', { q }, options)
}

export const pipelineQuery = (id: string) =>
  queryOptions({
    queryKey: pipelineKeys.detail(id),
    queryFn: ({ signal }) => api.get<Pipeline>(`/api/pipelines/${encodeURIComponent(id)}`, undefined, signal),
  })

export function usePipeline(id: string) {
  return useQuery(pipelineQuery(id))
}

const statusQuery = (id: string) =>
  queryOptions({
    queryKey: pipelineKeys.status(id),
    queryFn: ({ signal }) =>
      api.get<PipelineStatus>(`/api/pipelines/${encodeURIComponent(id)}/status`, undefined, signal),
  })

/** Live job status per node; polled while the pipeline is deployed (SSE replaces this later). */
export function usePipelineStatus(id: string, deployed: boolean) {
  return useQuery({ ...statusQuery(id), enabled: deployed, refetchInterval: 5_000 })
}

/**
 * One node's job status, read from the cache the pipeline page keeps polling; undefined when the
 * node has no job. It never fetches by itself, so a canvas of many nodes costs one request.
 */
export function useNodeStatus(pipelineId: string | null, nodeId: string): NodeStatus | undefined {
  return useQuery({
    ...statusQuery(pipelineId ?? ''),
    enabled: false,
    select: (status) => status.nodes[nodeId],
  }).data
}

export function useCreatePipeline() {
  const client = useQueryClient()
  return useMutation({
    mutationFn: (body: NewPipeline) => api.post<Pipeline>('/api/pipelines', body),
    onSuccess: (pipeline) => {
      client.setQueryData(pipelineKeys.detail(pipeline.id), pipeline)
      void client.invalidateQueries({ queryKey: pipelineKeys.list })
    },
  })
}

export interface PipelineUpdate {
  id: string
  name?: string
  /** The new document; when absent (a rename) the current one is read and sent back unchanged. */
  document?: PipelineDocument
  /** The version the change is based on; the server answers 409 VersionConflict when it is stale. */
  version: number
}

/** What to tell a person about a failed update; a lost optimistic-concurrency race gets its own words. */
export function updateErrorMessage(error: unknown): string {
  if (isApiError(error, 409, 'VersionConflict')) {
    return 'Someone else changed this pipeline since you loaded it. The latest version is now shown; please make your change again.'
  }
  return errorMessage(error)
}

export function useUpdatePipeline() {
  const client = useQueryClient()
  return useMutation({
    mutationFn: async ({ id, document, ...body }: PipelineUpdate) => {
      const path = `/api/pipelines/${encodeURIComponent(id)}`
      // PUT needs the whole document; the stale-version check still guards against lost updates.
      const current = document ?? (await api.get<Pipeline>(path)).document
      return api.put<Pipeline>(path, { ...body, document: current })
    },
    onSuccess: (_pipeline, { id }) => {
      void client.invalidateQueries({ queryKey: pipelineKeys.detail(id) })
      void client.invalidateQueries({ queryKey: pipelineKeys.list })
    },
    onError: (error, { id }) => {
      if (!isApiError(error, 409)) return
      void client.invalidateQueries({ queryKey: pipelineKeys.detail(id) })
      void client.invalidateQueries({ queryKey: pipelineKeys.list })
    },
    meta: { inlineErrors: true },
  })
}

export function useDeletePipeline() {
  const client = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api.delete(`/api/pipelines/${encodeURIComponent(id)}`),
    onSuccess: (_result, id) => {
      client.removeQueries({ queryKey: pipelineKeys.detail(id) })
      void client.invalidateQueries({ queryKey: pipelineKeys.list })
    },
    meta: { inlineErrors: true },
  })
}

const action = (id: string, name: string) => `/api/pipelines/${encodeURIComponent(id)}/${name}`

export function useValidatePipeline(id: string) {
  return useMutation({ mutationFn: () => api.post<ValidationResult>(action(id, 'validate')) })
}

export function usePlanPipeline(id: string) {
  return useMutation({
    mutationFn: () => api.post<DeployPlan>(action(id, 'plan')),
    meta: { inlineErrors: true },
  })
}

export function useDeployPipeline(id: string) {
  const client = useQueryClient()
  return useMutation({
    mutationFn: (options: { startPaused?: boolean } = {}) =>
      api.post<DeployResult>(action(id, 'deploy'), options),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: pipelineKeys.detail(id) })
      void client.invalidateQueries({ queryKey: pipelineKeys.status(id) })
      void client.invalidateQueries({ queryKey: pipelineKeys.list })
      void client.invalidateQueries({ queryKey: ['jobs'] })
    },
    meta: { inlineErrors: true },
  })
}
