import { z } from 'zod'
import { parseDuration } from '../../nodes/duration.ts'
import { sealedKeyId } from '../vault/cipher.ts'
import type { Vault } from '../vault/vault.ts'

const duration = z
  .string()
  .max(20)
  .refine((text) => parseDuration(text) !== null, 'a duration such as 30m, 2h or 1d')
  .meta({ examples: ['30m', '2h'] })

/**
 * What makes a rule fire for a job (DESIGN.md §7). An episode opens when it becomes true and
 * closes when it is false again; each episode is delivered once.
 */
export const alertCondition = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('failed') }).meta({ title: 'The job failed' }),
  z
    .strictObject({
      kind: z.literal('error_streak'),
      errors: z
        .int()
        .min(1)
        .max(10_000)
        .optional()
        .meta({ description: 'At least this many errors in a row' }),
      longerThan: duration
        .optional()
        .meta({ description: 'Failing for longer than this since the first error' }),
    })
    .refine((streak) => streak.errors !== undefined || streak.longerThan !== undefined, {
      message: 'give errors (a count), longerThan (a duration), or both',
    })
    .meta({ title: 'An error streak: at least `errors` errors, for longer than `longerThan`' }),
  z
    .strictObject({
      kind: z.literal('sleeping'),
      longerThan: duration,
      reasons: z
        .array(z.enum(['schedule', 'retry', 'rate_limit']))
        .min(1)
        .default(['retry', 'rate_limit'])
        .meta({ description: 'Which kinds of sleep count (default: retry back-off and rate limits)' }),
    })
    .meta({ title: 'Sleeping longer than `longerThan`' }),
  z
    .strictObject({ kind: z.literal('omitted'), percent: z.number().min(0).max(100) })
    .meta({ title: 'The last run omitted more than `percent` of the profiles it handled' }),
])
export type AlertCondition = z.infer<typeof alertCondition>

const webhookUrl = z
  .url({ protocol: /^https?$/, error: 'an http:// or https:// URL' })
  .max(2000)
  .meta({ description: 'Slack incoming webhooks work as they are; the URL is never shown again' })

export const alertTarget = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('webhook'),
    url: webhookUrl,
    secret: z
      .string()
      .min(16)
      .max(200)
      .optional()
      .meta({
        secret: true,
        description:
          'Signs each delivery (X-Sluice-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">); ' +
          'one is generated and shown once if none is given',
      }),
  }),
  z.strictObject({
    type: z.literal('email'),
    to: z.array(z.email()).min(1).max(20),
  }),
])
export type AlertTarget = z.infer<typeof alertTarget>

export const alertRuleInput = z.strictObject({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).optional(),
  jobId: z.string().min(1).max(100).nullable().default(null).meta({ description: 'Null: every job' }),
  condition: alertCondition,
  targets: z.array(alertTarget).min(1).max(10),
  enabled: z.boolean().default(true),
})

/** A PATCH: any field; targets, when given, replace the list (a webhook kept by index keeps its URL and secret). */
export const alertRulePatch = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  description: z.string().max(2000).optional(),
  jobId: z.string().min(1).max(100).nullable().optional(),
  condition: alertCondition.optional(),
  targets: z.array(alertTarget).min(1).max(10).optional(),
  enabled: z.boolean().optional(),
})

/**
 * A stored target. A webhook's URL (Slack's carries its token) and signing secret are sealed
 * (server/vault/cipher.ts), bound to the rule and the target's index; `host` is what may be shown.
 */
export type StoredTarget =
  | { type: 'webhook'; host: string; url: string; secret: string }
  | { type: 'email'; to: string[] }
/** A target as a delivery uses it, opened. */
export type OpenTarget = { type: 'webhook'; url: string; secret: string } | { type: 'email'; to: string[] }

export const targetPlace = (ruleId: string, index: number, field: 'url' | 'secret') => ({
  owner: `alert:${ruleId}`,
  field: `targets.${index}.${field}`,
})

export function sealTarget(vault: Vault, ruleId: string, index: number, target: OpenTarget): StoredTarget {
  if (target.type === 'email') return target
  const url = new URL(target.url)
  return {
    type: 'webhook',
    host: `${url.protocol}//${url.host}`,
    url: vault.seal(targetPlace(ruleId, index, 'url'), target.url),
    secret: vault.seal(targetPlace(ruleId, index, 'secret'), target.secret),
  }
}

/**
 * A rule's targets, opened. A value written before webhooks were sealed is still plain text;
 * start-up seals those (server/vault/reseal.ts), and until then it is read as it is.
 * @throws VaultError for a value that cannot be opened
 */
export function openTargets(vault: Vault, ruleId: string, targetsJson: string): OpenTarget[] {
  return (JSON.parse(targetsJson) as StoredTarget[]).map((target, index) =>
    openTarget(vault, ruleId, index, target),
  )
}

/** One stored target, opened (see openTargets). */
export function openTarget(vault: Vault, ruleId: string, index: number, target: StoredTarget): OpenTarget {
  if (target.type === 'email') return target
  const open = (field: 'url' | 'secret') =>
    sealedKeyId(target[field]) === null
      ? target[field]
      : vault.unseal(targetPlace(ruleId, index, field), target[field])
  return { type: 'webhook', url: open('url'), secret: open('secret') }
}

/** What the API shows of a target: where it goes, without what would let anyone post to it. */
export function publicTarget(target: StoredTarget) {
  if (target.type === 'email') return target
  const host = target.host ?? new URL(target.url).origin
  return { type: 'webhook' as const, url: `${host}/…`, secret: { set: true as const } }
}
