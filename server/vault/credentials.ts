import type { z } from 'zod'
import type { AuthMethod, Provider } from '../../nodes/define.ts'
import { secretFields } from '../../nodes/define.ts'
import { findProvider } from '../../nodes/index.ts'
import type { Authorization } from '../db/schema.ts'
import { ApiError } from '../errors.ts'
import { describeIssues } from '../http/validate.ts'
import { addKnownSecret } from './scrubber.ts'
import type { Vault } from './vault.ts'

/**
 * Credentials of an authorization: validated by its method's zod schema, split into plain fields
 * and secrets (sealed one by one, each bound to the authorization and its field), and shown back
 * with every secret as `{ "set": true }` (DESIGN.md §6).
 */

/** What an API answer shows of a secret field. */
export const SET = { set: true } as const

export function authMethodOf(
  providerId: string,
  methodId: string,
): { provider: Provider; method: AuthMethod } {
  const provider = findProvider(providerId)
  if (!provider) throw new ApiError(400, 'UnknownProvider', `unknown provider "${providerId}"`)
  const method = provider.auth.find((candidate) => candidate.id === methodId)
  if (!method)
    throw new ApiError(
      400,
      'UnknownAuthMethod',
      `${provider.title} does not authorize by "${methodId}"; it takes ${provider.auth.map((m) => m.id).join(', ')}`,
    )
  return { provider, method }
}

export interface SplitCredentials {
  fields: Record<string, unknown>
  secrets: Record<string, string>
}

/**
 * Validates `credentials` against the method's schema and splits them. A secret given as
 * `{ "set": true }` (what a form shows for an unchanged one) keeps its value from `current`.
 * @throws ApiError 400 InvalidCredentials naming each field to fix
 */
export function parseCredentials(
  method: Pick<AuthMethod, 'schema'>,
  credentials: Record<string, unknown>,
  current: SplitCredentials = { fields: {}, secrets: {} },
  where = 'credentials',
): SplitCredentials {
  const secretNames = new Set(secretFields(method.schema))
  const merged: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(credentials)) {
    const kept = secretNames.has(name) && isSetMarker(value)
    if (kept && current.secrets[name] === undefined)
      throw new ApiError(400, 'InvalidCredentials', `${where}.${name}: no value is stored yet; enter it`)
    merged[name] = kept ? current.secrets[name] : value
  }
  const parsed = (method.schema as z.ZodObject).safeParse(merged)
  if (!parsed.success)
    throw new ApiError(400, 'InvalidCredentials', describeIssues(parsed.error.issues, where), {
      details: { issues: parsed.error.issues.map((issue) => ({ path: issue.path, message: issue.message })) },
    })
  const split: SplitCredentials = { fields: {}, secrets: {} }
  for (const [name, value] of Object.entries(parsed.data as Record<string, unknown>)) {
    if (value === undefined) continue
    if (!secretNames.has(name)) split.fields[name] = value
    else if (typeof value === 'string') split.secrets[name] = value
    else throw new ApiError(400, 'InvalidCredentials', `${where}.${name}: a secret must be text`)
  }
  return split
}

const isSetMarker = (value: unknown) =>
  typeof value === 'object' && value !== null && (value as { set?: unknown }).set === true

/** Seals each secret for `owner`; the stored JSON of the `secrets` column. */
export function sealSecrets(
  vault: Vault,
  owner: string,
  secrets: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(secrets).map(([field, value]) => [field, vault.seal({ owner, field }, value)]),
  )
}

/**
 * The stored credentials, opened: plain fields and secrets as the connector takes them.
 * @throws VaultError when a secret cannot be opened (wrong key, altered, moved)
 */
export function openCredentials(vault: Vault, row: Authorization): SplitCredentials {
  const fields = JSON.parse(row.fields) as Record<string, unknown>
  const sealed = JSON.parse(row.secrets) as Record<string, string>
  const secrets = Object.fromEntries(
    Object.entries(sealed).map(([field, value]) => [field, vault.unseal({ owner: row.id, field }, value)]),
  )
  // A basic-auth header carries base64 of `user:password`, which is neither value alone.
  const user = fields.username ?? fields.user
  if (typeof user === 'string')
    for (const secret of Object.values(secrets)) addKnownSecret(`${user}:${secret}`)
  return { fields, secrets }
}

/** What a connector's `ctx.credentials` holds. */
export function connectorCredentials(vault: Vault, row: Authorization): Record<string, unknown> {
  const { fields, secrets } = openCredentials(vault, row)
  return { ...fields, ...secrets }
}

/** The credentials as an answer shows them: plain fields, and each stored secret as `{ set: true }`. */
export function publicCredentials(row: Pick<Authorization, 'fields' | 'secrets'>): Record<string, unknown> {
  const fields = JSON.parse(row.fields) as Record<string, unknown>
  const sealed = JSON.parse(row.secrets) as Record<string, string>
  return { ...fields, ...Object.fromEntries(Object.keys(sealed).map((name) => [name, SET])) }
}
