import { z } from 'zod'
import { parseDuration } from '../../nodes/duration.ts'

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

/** A stored target: the webhook's URL and secret are the caller's, never echoed. */
export type StoredTarget = { type: 'webhook'; url: string; secret: string } | { type: 'email'; to: string[] }

/** What the API shows of a target: where it goes, without what would let anyone post to it. */
export function publicTarget(target: StoredTarget) {
  if (target.type === 'email') return target
  const url = new URL(target.url)
  return {
    type: 'webhook' as const,
    url: `${url.protocol}//${url.host}/…`,
    secret: { set: true as const },
  }
}
