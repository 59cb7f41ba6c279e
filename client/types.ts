import type { PipelineDocument } from '../nodes/pipeline.ts'

/** Response shapes of the HTTP API the client uses (API.md). */

export type Role = 'admin' | 'editor' | 'viewer'

export interface User {
  id: string
  email: string
  name: string
  role: Role
}

export interface SetupStatus {
  required: boolean
  /** Who the session cookie belongs to; null when nobody is signed in. */
  user: User | null
}

export interface JobTypeInfo {
  id: string
  title: string
  direction: 'import' | 'export' | 'enrichment'
  description: string
  requiresAuthorization: boolean
  configSchema: Record<string, unknown>
  defaultCadence: unknown
  resetsCheckpoint: string[]
}

export interface ProviderInfo {
  id: string
  title: string
  category: 'source' | 'destination' | 'enrichment' | 'utility'
  /** SVG markup from the catalogue. */
  icon: string
  description: string
  authMethods: {
    id: string
    title: string
    schema: Record<string, unknown>
    appSchema?: Record<string, unknown>
  }[]
  jobTypes: JobTypeInfo[]
}

export interface PipelineSummary {
  id: string
  name: string
  description: string | null
  version: number
  createdBy: string | null
  createdAt: string
  updatedAt: string
  deployedVersion: number | null
  /** In lists: how many of its jobs are in each status. */
  jobStatuses?: Partial<Record<JobStatus, number>>
}

export interface Pipeline extends PipelineSummary {
  document: PipelineDocument
}

export interface NewPipeline {
  name: string
  description?: string
  document: PipelineDocument
}

export interface ValidationProblem {
  nodeId?: string
  edgeId?: string
  code: string
  message: string
}

export interface ValidationResult {
  ok: boolean
  errors: ValidationProblem[]
}

/** Plan entries carry more fields than the client relies on; unknown ones are shown generically. */
export interface PlanCreate {
  nodeId: string
  name?: string
  [field: string]: unknown
}

export interface PlanUpdate {
  jobId: string
  nodeId: string
  name?: string
  changes: unknown
  resetsCheckpoint: boolean
}

export interface PlanRemove {
  jobId: string
  nodeId?: string | null
  name?: string
  [field: string]: unknown
}

export interface DeployPlan {
  create: PlanCreate[]
  update: PlanUpdate[]
  remove: PlanRemove[]
}

export interface DeployResult {
  jobs: { nodeId: string; jobId: string; action: 'created' | 'updated' | 'removed' | 'unchanged' }[]
  /** False when the deploy found nothing to change. */
  changed?: boolean
  version?: number | null
}

export const JOB_STATUSES = ['running', 'sleeping', 'failed', 'paused', 'completed', 'removed'] as const
export type JobStatus = (typeof JOB_STATUSES)[number]

export interface NodeStatus {
  jobId: string
  status: JobStatus
  sleepReason?: 'schedule' | 'retry' | 'rate_limit' | null
  lastEvent: { event: string; at: string; message: string } | null
  nextRunAt: string | null
  lastRun?: { outcome: string; added: number; removed: number; omitted: number; endedAt: string } | null
  failsAt?: string | null
  purgesAt?: string | null
}

export interface PipelineStatus {
  nodes: Record<string, NodeStatus>
}

export type JobKindFilter = 'import' | 'export' | 'enrichment' | 'system'

export interface JobSummary {
  id: string
  name: string
  authorization: { id: string; name: string } | null
  provider: string
  type: JobKindFilter
  /** The provider's job type id, e.g. `events`. */
  jobType: string
  status: JobStatus
  pipelineId: string | null
  nodeId: string | null
  createdAt: string
  updatedAt: string
}

/** `GET /api/jobs/:id`: everything the job summary page shows (config without secrets). */
export interface JobDetail extends JobSummary {
  description: string
  sleepReason: 'schedule' | 'retry' | 'rate_limit' | null
  createdBy: string
  /** Null when the user is gone. */
  createdByName: string | null
  updatedBy: string
  updatedByName: string | null
  statusChangedAt: string
  config: unknown
  cadence: unknown
  mapping: unknown
  nextRunAt: string | null
  lastRunAt: string | null
  lastSuccessAt: string | null
  firstErrorAt: string | null
  consecutiveErrors: number
  lastError: string | null
  checkpoint: unknown
  failsAt: string | null
  purgesAt: string | null
}
