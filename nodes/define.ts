import { z } from 'zod'
import type { Cadence } from './cadence.ts'

/**
 * The provider contract: one declarative object per provider whose zod schemas feed the API's
 * JSON Schema, the UI forms, validation and the TypeScript types (CONVENTIONS.md).
 * Isomorphic: no node:* imports here.
 */

export type Direction = 'import' | 'export' | 'enrichment'
export type Category = 'source' | 'destination' | 'enrichment' | 'utility'
export type AuthMethodId = 'apikey' | 'basic' | 'oauth2' | 'none'

export interface AuthMethod<S extends z.ZodObject = z.ZodObject> {
  id: AuthMethodId
  title: string
  /** Credential fields; secret ones carry `.meta({ secret: true })`. */
  schema: S
  /**
   * OAuth2 only: the provider's endpoints and scopes. The tokens the flow yields are stored as
   * `accessToken` and `refreshToken`; an admin's client id and secret (and any endpoint
   * override, such as a sandbox) complete them.
   */
  oauth?: {
    authorizeUrl: string
    tokenUrl: string
    scopes: readonly string[]
    /** Extra parameters of the sign-in link: Google issues a refresh token only with `access_type=offline`. */
    authorizeParams?: Readonly<Record<string, string>>
  }
  /**
   * OAuth2 only: fields of Sluice's app at the provider that an admin enters with its client id
   * and secret (Google Ads' developer token). They reach `ctx.credentials` under their names.
   */
  appFields?: z.ZodObject
}

export interface JobType<S extends z.ZodObject = z.ZodObject> {
  id: string
  title: string
  direction: Direction
  description: string
  config: S
  requiresAuthorization: boolean
  defaultCadence: Cadence
  /** Config fields whose change makes the job start again from no checkpoint. */
  resetsCheckpoint: readonly (keyof z.infer<S> & string)[]
  /**
   * Exports: the field the destination keys people by when the mapping marks none as an identity
   * (e.g. `email`). Profiles without it are counted omitted.
   */
  identifier?: string
  /** Exports: people per batch the destination takes at once (default 500). */
  batchSize?: number
}

/**
 * What one authorization may spend, shared by every job that uses it (DESIGN.md §4): a provider's
 * limits are per key, not per job — Mailchimp allows 10 simultaneous connections per API key.
 */
export interface RateBudget {
  /** Units of work running at once, across processes, with one authorization. */
  concurrency?: number
  /** Requests per window: connectors call `ctx.throttle()` before each request. */
  requests?: { count: number; perMs: number }
}

export interface Provider {
  id: string
  title: string
  category: Category
  /** SVG markup, rendered in the palette and on nodes. */
  icon: string
  description: string
  auth: readonly AuthMethod[]
  jobTypes: readonly JobType[]
  /** Limits per authorization; none when the provider has no shared quota. */
  budget?: RateBudget
}

/** Metadata for a field that must be encrypted, redacted and never returned. */
export const SECRET = { secret: true } as const

/**
 * Declares a provider, checking at load time what the type system cannot.
 * @example export const sample = defineProvider({ id: 'sample', title: 'Sample data', ... })
 */
export function defineProvider<const P extends Provider>(provider: P): P {
  const ids = new Set<string>()
  for (const jobType of provider.jobTypes) {
    if (ids.has(jobType.id)) throw new Error(`${provider.id}: duplicate job type ${jobType.id}`)
    ids.add(jobType.id)
    const fields = Object.keys(jobType.config.shape)
    for (const field of jobType.resetsCheckpoint) {
      if (!fields.includes(field))
        throw new Error(`${provider.id}.${jobType.id}: resetsCheckpoint names unknown ${field}`)
    }
  }
  return provider
}

/** JSON Schema of a zod schema as the API serves it: input shape, custom metadata such as `secret` kept. */
export function toJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>
}

/**
 * A job's config as its connector receives it, parsed by its schema; what fails is a config error
 * naming `what` and every problem.
 * @example const config = parseConfig(s3SourceConfig, ctx.config, 'S3 source')
 */
export function parseConfig<S extends z.ZodType>(schema: S, config: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(config ?? {})
  if (parsed.success) return parsed.data
  throw new ConnectorError('config', `invalid ${what} config: ${z.prettifyError(parsed.error)}`)
}

/** Names of the fields of an object schema flagged `.meta({ secret: true })`. */
export function secretFields(schema: z.ZodObject): string[] {
  return Object.entries(schema.shape)
    .filter(([, field]) => (field as z.ZodType).meta()?.secret === true)
    .map(([name]) => name)
}

// ---------------------------------------------------------------------------------------------
// Connector contract (implemented server-side in <p>.connector.ts; the types are isomorphic).

export type ErrorKind = 'transient' | 'rate_limited' | 'auth' | 'config'

/** A classified connector failure; the executor decides retry, sleep or error from `kind`. */
export class ConnectorError extends Error {
  readonly kind: ErrorKind
  /** For `rate_limited`: when the provider allows the next call. */
  readonly retryAt: Date | undefined
  readonly code: string | undefined
  constructor(
    kind: ErrorKind,
    message: string,
    options: { retryAt?: Date; code?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause })
    this.name = 'ConnectorError'
    this.kind = kind
    this.retryAt = options.retryAt
    this.code = options.code
  }
}

export interface CheckResult {
  ok: boolean
  message: string
}

export interface ConnectorContext<Config = Record<string, unknown>> {
  config: Config
  credentials: Record<string, unknown>
  /** Fires when the lease is lost or the job is paused: stop touching the outside world. */
  signal: AbortSignal
  now: () => Date
  /**
   * Waits on Sluice's clock (polling a provider's long-running operation); tests' clocks pass the
   * time at once. Rejects when `signal` aborts.
   */
  sleep: (ms: number) => Promise<void>
  /** The data folder; file-based connectors stay inside it. */
  dataDir: string
  /** Null during previews and connection checks. */
  jobId: string | null
  /** `fetch` through Sluice's outbound guard; connectors never use the global one. */
  fetch: typeof fetch
  /**
   * The checked address of a host, for clients that open their own sockets (pg, ssh2): connect
   * to it (and pass the host as the TLS server name). Throws a config error for a refused one.
   */
  resolveHost: (host: string) => Promise<string>
  /**
   * `node:http` and `node:https` agents through the same guard, for SDKs built on them (the AWS
   * SDK's request handler); typed loosely here because this file is isomorphic.
   */
  nodeAgents: () => { httpAgent: unknown; httpsAgent: unknown }
  /**
   * OAuth2 authorizations only: call when the provider answers 401 to credentials that should
   * work; resolves to refreshed credentials (retry once with them), throws an auth error when the
   * provider refuses the refresh.
   */
  reauthorize?: () => Promise<Record<string, unknown>>
  /**
   * Resolves when the authorization's request budget allows one more request; call it before each
   * request to the provider. Without an authorization or a budget it resolves at once.
   */
  throttle?: () => Promise<void>
}

/** One record read from a source. `key` deduplicates replays per source job. */
export interface SourceRecord {
  key: string
  /** ISO-8601 event time, when the source knows one. */
  eventTime?: string
  data: Record<string, unknown>
}

export interface ReadBatch<Checkpoint = unknown> {
  records: SourceRecord[]
  /** Committed with the batch; the next run resumes from it. */
  checkpoint: Checkpoint
  /** True on the last batch of a one-time source that has nothing more to read, ever. */
  done?: boolean
  /** Rows the source could not read and skipped (a malformed line): counted omitted. */
  omitted?: number
}

export interface ReadOptions<Checkpoint = unknown> {
  checkpoint: Checkpoint | null
  /** Preview mode: read at most this many records, write nothing anywhere. */
  preview?: { limit: number }
}

export interface ImportConnector<Config = Record<string, unknown>, Checkpoint = unknown> {
  direction: 'import'
  read(ctx: ConnectorContext<Config>, options: ReadOptions<Checkpoint>): AsyncIterable<ReadBatch<Checkpoint>>
}

/** Profiles to deliver, keyed by the destination's identifier. */
export interface ExportBatch {
  upserts: { id: string; fields: Record<string, unknown> }[]
  removes: { id: string }[]
}

/** What the destination acknowledged for one batch; rejected rows are counted omitted. */
export interface WriteAck {
  delivered: string[]
  removed: string[]
  rejected: { id: string; reason: string }[]
}

export interface ExportConnector<Config = Record<string, unknown>> {
  direction: 'export'
  /** One run: batches in, one acknowledgement per batch out, in order. */
  write(ctx: ConnectorContext<Config>, batches: AsyncIterable<ExportBatch>): AsyncIterable<WriteAck>
}

export interface EnrichmentConnector<Config = Record<string, unknown>> {
  direction: 'enrichment'
  enrich(
    ctx: ConnectorContext<Config>,
    profiles: { id: string; attributes: Record<string, unknown> }[],
  ): Promise<{ id: string; attributes: Record<string, unknown> }[]>
}

export type JobConnector = ImportConnector<never, never> | ExportConnector<never> | EnrichmentConnector<never>

type ConnectorFor<J extends JobType> = J['direction'] extends 'import'
  ? ImportConnector<z.infer<J['config']>>
  : J['direction'] extends 'export'
    ? ExportConnector<z.infer<J['config']>>
    : EnrichmentConnector<z.infer<J['config']>>

export interface ProviderConnector<P extends Provider = Provider> {
  provider: P
  /** Tests the credentials (and config, when given) against the real system; never throws. */
  check(ctx: Omit<ConnectorContext<Record<string, unknown> | null>, 'jobId'>): Promise<CheckResult>
  jobs: { [J in P['jobTypes'][number] as J['id']]: ConnectorFor<J> }
}

/**
 * Binds a provider's server-side implementation to its declaration, typed by its schemas.
 * @example export default defineConnector(fileExport, { check, jobs: { file: { direction: 'export', write } } })
 */
export function defineConnector<const P extends Provider>(
  provider: P,
  connector: Omit<ProviderConnector<P>, 'provider'>,
): ProviderConnector<P> {
  return { provider, ...connector }
}
