import { createHash } from 'node:crypto'
import { z } from 'zod'

export const identityRulesSchema = z.strictObject({
  fields: z
    .array(
      z.strictObject({
        name: z.string().trim().min(1).max(200),
        priority: z.int().min(1).max(1000),
        normalize: z.enum(['email', 'lowercase', 'none']).optional().meta({
          description:
            'email: trimmed and lower-cased (default for a field named email); lowercase; none: trimmed',
        }),
      }),
    )
    .min(1)
    .max(50)
    .refine(
      (fields) => new Set(fields.map((field) => field.name)).size === fields.length,
      'names each field once',
    ),
})

export type IdentityRules = z.infer<typeof identityRulesSchema>

/** DESIGN.md §5: `user_id`, then `email`, then `anonymous_id`. */
export const DEFAULT_RULES: IdentityRules = {
  fields: [
    { name: 'user_id', priority: 1 },
    { name: 'email', priority: 2, normalize: 'email' },
    { name: 'anonymous_id', priority: 3 },
  ],
}

/** Identity fields a mapping marks but the rules do not name rank after every rule. */
const UNRANKED = 10_000
const MAX_VALUE = 500

/**
 * Values senders write when they have no id: an SDK bug sending `"undefined"` as every user's id
 * would otherwise make one person of everyone it touches. They identify no one.
 */
const PLACEHOLDERS = new Set([
  'undefined',
  'null',
  'nil',
  'none',
  'nan',
  '0',
  '-1',
  'unknown',
  'n/a',
  'na',
  '[object object]',
  'anonymous',
  'guest',
])

export interface Identity {
  field: string
  value: string
  /** `field` U+001F `value`: the identity's primary key. */
  key: string
  priority: number
}

export const identityKey = (field: string, value: string) => `${field}\u001f${value}`

/** What the suppression list stores: never the value itself. */
export const identityHash = (key: string) => createHash('sha256').update(key).digest('hex')

/** A value as it is compared: strings trimmed (emails lower-cased), numbers as text, others none. */
export function normalizeIdentity(value: unknown, normalize: 'email' | 'lowercase' | 'none'): string | null {
  let text: string
  if (typeof value === 'string') text = value.trim()
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value)
  else if (typeof value === 'bigint') text = String(value)
  else return null
  if (!text || text.length > MAX_VALUE || PLACEHOLDERS.has(text.toLowerCase())) return null
  return normalize === 'none' ? text : text.toLowerCase()
}

/** How a field's values are compared: its rule's setting, else emails lower-cased, else as written. */
export function normalizationOf(rules: IdentityRules, field: string): 'email' | 'lowercase' | 'none' {
  const rule = rules.fields.find((candidate) => candidate.name === field)
  return rule?.normalize ?? (field === 'email' ? 'email' : 'none')
}

/** The key an identity is stored under, as a person would type it (trimmed, normalised). */
export function keyOf(rules: IdentityRules, field: string, value: string): string | null {
  const normalized = normalizeIdentity(value, normalizationOf(rules, field))
  return normalized === null ? null : identityKey(field, normalized)
}

/** The identities of mapped attributes, highest priority (lowest number) first. */
export function extractIdentities(
  attributes: Record<string, unknown>,
  mappedIdentityFields: readonly string[],
  rules: IdentityRules,
): Identity[] {
  const found: Identity[] = []
  const seen = new Set<string>()
  const add = (field: string, priority: number, normalize: 'email' | 'lowercase' | 'none') => {
    if (seen.has(field) || !Object.hasOwn(attributes, field)) return
    seen.add(field)
    const value = normalizeIdentity(attributes[field], normalize)
    if (value !== null) found.push({ field, value, key: identityKey(field, value), priority })
  }
  for (const rule of rules.fields) add(rule.name, rule.priority, normalizationOf(rules, rule.name))
  for (const field of mappedIdentityFields) add(field, UNRANKED, field === 'email' ? 'email' : 'none')
  return found.sort((a, b) => a.priority - b.priority)
}
