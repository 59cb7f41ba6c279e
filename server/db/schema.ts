import type { ColumnType, Generated, Insertable, Kysely, Selectable, Updateable } from 'kysely'

/**
 * The schema as Kysely types. Ids are text, times ISO-8601 UTC text, JSON is text parsed by zod
 * on the way out: the same columns on SQLite and PostgreSQL (CONVENTIONS.md).
 */

export type Role = 'admin' | 'editor' | 'viewer'

export interface UserTable {
  id: string
  email: string
  name: string
  role: Role
  password_hash: string
  created_by: string | null
  created_at: string
  updated_at: string
  last_login_at: string | null
  /** Set while an admin has disabled the user: no sign-in, sessions or tokens. */
  disabled_at: string | null
}

export interface SessionTable {
  /** sha256 of the cookie value: a stolen database does not yield live sessions. */
  id: string
  user_id: string
  created_at: string
  expires_at: string
  last_seen_at: string
  user_agent: string | null
}

export interface ApiTokenTable {
  id: string
  name: string
  role: Role
  /** sha256 of the token; the token itself is shown once. */
  token_hash: string
  /** First characters, so a user can tell tokens apart. */
  prefix: string
  user_id: string
  created_by: string
  created_at: string
  last_used_at: string | null
}

export interface PipelineTable {
  id: string
  name: string
  description: string
  document: string
  /** Optimistic-concurrency counter of the draft. */
  version: number
  deployed_version: number | null
  created_by: string
  updated_by: string
  created_at: string
  updated_at: string
  deleted_at: string | null
}

export interface PipelineVersionTable {
  pipeline_id: string
  version: number
  document: string
  deployed_by: string
  deployed_at: string
}

export type JobType = 'import' | 'export' | 'enrichment' | 'system'
export type JobStatus = 'running' | 'sleeping' | 'failed' | 'paused' | 'completed' | 'removed'
export type SleepReason = 'schedule' | 'retry' | 'rate_limit'

export interface JobTable {
  id: string
  pipeline_id: string | null
  node_id: string | null
  name: string
  description: string
  provider: string
  job_type: string
  type: JobType
  authorization_id: string | null
  config: string
  cadence: string
  /** The node's field mapping (JSON), or null. */
  mapping: string | null
  status: JobStatus
  status_changed_at: string
  sleep_reason: SleepReason | null
  next_run_at: string | null
  last_run_at: string | null
  last_success_at: string | null
  first_error_at: string | null
  consecutive_errors: number
  last_error: string | null
  state: string | null
  lease_owner: string | null
  lease_token: string | null
  lease_expires_at: string | null
  created_by: string
  updated_by: string
  created_at: string
  updated_at: string
}

export interface JobRunTable {
  id: string
  job_id: string
  due_at: string
  worker: string
  started_at: string
  ended_at: string | null
  outcome: string | null
  added: number
  removed: number
  omitted: number
  error: string | null
}

export interface JobLogTable {
  id: Generated<number>
  job_id: string
  at: string
  event: string
  message: string
  details: string | null
  actor: string | null
}

export interface JobMetricTable {
  job_id: string
  /** Start of the hour, ISO-8601. */
  bucket: string
  added: ColumnType<number, number | undefined, number>
  removed: ColumnType<number, number | undefined, number>
  omitted: ColumnType<number, number | undefined, number>
}

export interface DataKeyTable {
  id: string
  name: string
  /** sha256 of the key; the key itself is shown once. */
  key_hash: string
  prefix: string
  /** When set, the key may only write to this stream (and it is the Segment endpoints' stream). */
  stream: string | null
  created_by: string
  created_at: string
  last_used_at: string | null
}

export interface StreamTable {
  name: string
  message_count: ColumnType<number, number | undefined, number>
  last_message_at: string | null
  retention_days: number | null
  created_at: string
  /** Messages retention deleted since the last profile rebuild (what the next one cannot replay). */
  expired_since_rebuild: ColumnType<number, number | undefined, number>
}

export type Lane = 'realtime' | 'bulk' | 'job'

export interface RawMessageTable {
  /** The ingest sequence: with event time, the total order of last-writer-wins. */
  seq: Generated<number>
  stream: string
  /** ISO-8601 UTC. */
  event_time: string
  received_at: string
  lane: Lane
  job_id: string | null
  upload_id: string | null
  record_key: string | null
  message_id: string | null
  payload: string
  /** Set once identity resolution has applied the message to profiles. */
  unified_at: string | null
  /** The profile it was first applied to; profile_merges lead from there to the survivor. */
  profile_id: string | null
  /** The profile change sequence number of the transaction that applied it. */
  unified_seq: ColumnType<number | null, number | null | undefined, number | null>
}

export type UploadStatus = 'receiving' | 'published' | 'unified' | 'rejected' | 'failed'

export interface UploadTable {
  id: string
  stream: string
  status: UploadStatus
  format: 'csv' | 'json' | 'ndjson'
  filename: string | null
  timestamp_field: string | null
  droperrors: ColumnType<number, number | undefined, number>
  data_key_id: string | null
  after_seq: ColumnType<number, number | undefined, number>
  bytes_read: ColumnType<number, number | undefined, number>
  rows_read: ColumnType<number, number | undefined, number>
  stored: ColumnType<number, number | undefined, number>
  duplicates: ColumnType<number, number | undefined, number>
  rejected: ColumnType<number, number | undefined, number>
  unified: ColumnType<number, number | undefined, number>
  /** JSON: the first rejects, `[{ row, reason }]`. */
  errors: ColumnType<string, string | undefined, string>
  error: string | null
  created_at: string
  updated_at: string
  published_at: string | null
}

export interface ProfileTable {
  id: string
  /** JSON `{ name: [value, eventTime, seq, stream] }`. */
  attributes: string
  /** JSON array of the streams that contributed. */
  streams: string
  created_at: string
  updated_at: string
  /** The profile change sequence number of the transaction that last wrote it. */
  change_seq: ColumnType<number, number | undefined, number>
}

/** A profile that went away (merged into `into_id`, or deleted), numbered like changes. */
export interface ProfileTombstoneTable {
  change_seq: number
  profile_id: string
  into_id: string | null
  created_at: string
}

/** An event for live clients (DESIGN.md §7), written by triggers (migration 0009). */
export interface OutboxTable {
  /** Write order; on SQLite also commit order. */
  seq: Generated<number>
  /** PostgreSQL only: the writing transaction (`xid8`); rows are read in `(tx, seq)` order. */
  tx?: ColumnType<string, never, never>
  at: string
  topic: string
  job_id: string | null
  pipeline_id: string | null
  /** The event's JSON, ready to send. */
  data: string
}

/** PostgreSQL only: API processes with live clients, which the outbox NOTIFYs (migration 0012). */
export interface OutboxListenerTable {
  id: string
  alive_until: ColumnType<Date, string, string>
}

export interface AlertRuleTable {
  id: string
  name: string
  description: ColumnType<string, string | undefined, string>
  job_id: string | null
  /** JSON, `alertCondition` (server/events/alert-rules.ts). */
  condition: string
  /** JSON array of `StoredTarget`, secrets included: never answered, logged or exported. */
  targets: string
  enabled: ColumnType<number, number | undefined, number>
  created_by: string
  updated_by: string
  created_at: string
  updated_at: string
}

export interface AlertEpisodeTable {
  id: string
  rule_id: string
  job_id: string
  opened_at: string
  closed_at: string | null
  summary: string
}

export type AlertDeliveryStatus = 'pending' | 'sent' | 'failed'

export interface AlertDeliveryTable {
  id: string
  episode_id: string
  rule_id: string
  /** Index into the rule's targets. */
  target: number
  kind: 'webhook' | 'email'
  status: AlertDeliveryStatus
  attempts: ColumnType<number, number | undefined, number>
  next_attempt_at: string | null
  claimed_until: string | null
  claim_token: string | null
  last_error: string | null
  sent_at: string | null
  created_at: string
}

/** Named numbers: `profile_change`, `generation`, `tombstone_floor`. */
export interface CounterTable {
  name: string
  value: number
}

export interface ProfileIdentityTable {
  key: string
  field: string
  value: string
  profile_id: string
  joins: ColumnType<number, number | undefined, number>
  flagged_at: string | null
  created_at: string
}

export interface ProfileMergeTable {
  id: Generated<number>
  from_id: string
  into_id: string
  identity: string
  message_seq: number | null
  merged_at: string
}

export interface SuppressionTable {
  hash: string
  field: string
  created_at: string
  created_by: string | null
}

export interface SettingTable {
  key: string
  value: string
  updated_by: string | null
  updated_at: string
}

export interface AudienceTable {
  id: string
  name: string
  name_key: string
  description: string
  /** JSON of an AudienceFilter (nodes/audience.ts). */
  filter: string
  version: number
  created_by: string
  updated_by: string
  created_at: string
  updated_at: string
}

export interface ExportDeliveryTable {
  job_id: string
  /** The destination's key for the person (email, id), as delivered. */
  identifier: string
  profile_id: string
  /** Hash of the mapped payload last acknowledged: an unchanged person is not sent again. */
  fingerprint: string
  delivered_at: string
}

export interface EnrichmentInputTable {
  job_id: string
  profile_id: string
  fingerprint: string
  enriched_at: string
}

export type AuthMethodId = 'apikey' | 'basic' | 'oauth2' | 'none'

export interface AuthorizationTable {
  id: string
  name: string
  description: ColumnType<string, string | undefined, string>
  provider: string
  method: AuthMethodId
  /** JSON object of the method's non-secret fields. */
  fields: string
  /** JSON object: secret field name → sealed value (server/vault/cipher.ts). */
  secrets: string
  /** The master key the secrets are sealed with; null when there are none. */
  key_id: string | null
  /** OAuth2: when the access token expires. */
  expires_at: string | null
  /** Why the credentials stopped working (a refused refresh); null when they work. */
  error: string | null
  created_by: string
  updated_by: string
  created_at: string
  updated_at: string
}

export interface OAuthClientTable {
  provider: string
  client_id: string
  /** Sealed. */
  client_secret: string
  key_id: string
  /** JSON `{ authorizeUrl?, tokenUrl?, scopes? }`. */
  settings: string
  created_by: string
  updated_by: string
  created_at: string
  updated_at: string
}

export interface OAuthStateTable {
  /** sha256 of the state parameter. */
  id: string
  provider: string
  /** The PKCE verifier, sealed. */
  verifier: string
  /** JSON: what to create or reconnect when the callback arrives. */
  request: string
  created_by: string
  created_at: string
  expires_at: string
}

export interface AuditLogTable {
  id: Generated<number>
  at: string
  actor_id: string | null
  actor_name: string
  action: string
  entity_type: string
  entity_id: string
  entity_name: string
  /** JSON, or null. */
  details: string | null
}

export interface Database {
  users: UserTable
  sessions: SessionTable
  api_tokens: ApiTokenTable
  pipelines: PipelineTable
  pipeline_versions: PipelineVersionTable
  jobs: JobTable
  job_runs: JobRunTable
  job_logs: JobLogTable
  job_metrics: JobMetricTable
  data_keys: DataKeyTable
  streams: StreamTable
  raw_messages: RawMessageTable
  uploads: UploadTable
  profiles: ProfileTable
  audiences: AudienceTable
  export_deliveries: ExportDeliveryTable
  enrichment_inputs: EnrichmentInputTable
  profile_identities: ProfileIdentityTable
  profile_merges: ProfileMergeTable
  profile_tombstones: ProfileTombstoneTable
  counters: CounterTable
  outbox: OutboxTable
  outbox_listeners: OutboxListenerTable
  alert_rules: AlertRuleTable
  alert_episodes: AlertEpisodeTable
  alert_deliveries: AlertDeliveryTable
  suppressions: SuppressionTable
  settings: SettingTable
  authorizations: AuthorizationTable
  oauth_clients: OAuthClientTable
  oauth_states: OAuthStateTable
  audit_log: AuditLogTable
}

export type User = Selectable<UserTable>
export type Authorization = Selectable<AuthorizationTable>
export type Pipeline = Selectable<PipelineTable>
export type Job = Selectable<JobTable>
export type NewJob = Insertable<JobTable>
export type JobUpdate = Updateable<JobTable>
export type JobLog = Selectable<JobLogTable>
export type DataKey = Selectable<DataKeyTable>
export type RawMessage = Selectable<RawMessageTable>
export type NewRawMessage = Insertable<RawMessageTable>
export type Upload = Selectable<UploadTable>
export type Profile = Selectable<ProfileTable>
export type Audience = Selectable<AudienceTable>

/** What repositories take: the database or a transaction on it. */
export type Executor = Kysely<Database>
