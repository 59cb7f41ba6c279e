/** Response shapes of the data-plane API the client uses (API.md, "Data"). */

export interface Stream {
  name: string
  messageCount: number
  lastMessageAt: string | null
  /** Raw messages older than this many days are deleted; null keeps them all. */
  retentionDays: number | null
  createdAt: string
}

export type Lane = 'realtime' | 'bulk' | 'job'

export interface RawMessage {
  seq: string
  stream: string
  eventTime: string
  receivedAt: string
  lane: Lane
  jobId: string | null
  uploadId: string | null
  recordKey: string | null
  messageId: string | null
  unifiedAt: string | null
  profileId: string | null
  payload: unknown
}

export interface Identity {
  field: string
  value: string
  /** Set when the value joined too many profiles to keep merging by it (the merge cap). */
  flagged: boolean
}

export interface ProfileSummary {
  id: string
  identities: Identity[]
  createdAt: string
  updatedAt: string
}

export interface Attribute {
  value: unknown
  at: string
  stream: string
}

export interface Profile extends ProfileSummary {
  attributes: Record<string, Attribute>
  streams: string[]
  mergedFrom: string[]
}

export const UPLOAD_STATUSES = ['receiving', 'published', 'unified', 'rejected', 'failed'] as const
export type UploadStatus = (typeof UPLOAD_STATUSES)[number]

export interface Upload {
  id: string
  stream: string
  status: UploadStatus
  format: 'csv' | 'json' | 'ndjson'
  filename: string | null
  rowsRead: number
  stored: number
  duplicates: number
  rejected: number
  unified: number
  errors: { row: number; reason: string }[]
  error: string | null
  createdAt: string
  updatedAt: string
  publishedAt: string | null
}

export interface DataKey {
  id: string
  name: string
  /** The first characters of the key, enough to recognise it. */
  prefix: string
  stream: string | null
  createdAt: string
  lastUsedAt: string | null
}

export interface NewDataKey extends DataKey {
  /** The key itself, answered once at creation. */
  key: string
}

export const NORMALIZERS = ['email', 'lowercase', 'none'] as const
export type Normalizer = (typeof NORMALIZERS)[number]

export interface IdentityField {
  name: string
  priority: number
  normalize?: Normalizer
}

export interface IdentityRules {
  fields: IdentityField[]
}

/** Rules as typed into the form and sent unchecked: a blank priority goes as null for the API to refuse. */
export interface IdentityRulesDraft {
  fields: (Omit<IdentityField, 'priority'> & { priority: number | null })[]
}
