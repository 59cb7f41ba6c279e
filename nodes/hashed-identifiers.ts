import { createHash } from 'node:crypto'
import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/max'
import type { z } from 'zod'
import { ConnectorError, parseConfig } from './define.ts'

/**
 * Emails and phone numbers as ad platforms match them: normalised by each platform's documented
 * rules, then SHA-256 hex. Server-only (connectors import it; the catalogue does not), so the
 * full phone metadata (`libphonenumber-js/max`, which knows which numbers exist) stays out of the
 * client bundle.
 *
 * - Meta (Custom Audiences, "Hashing and normalizing data"): email trimmed and lower-cased; phone
 *   digits only, country code first, no `+`, no leading zeros.
 * - Google (Customer Match, "Formatting guidelines for hashed data"): email lower-cased with every
 *   space removed; phone in E.164 (`+` and country code). Google's dot-stripping for gmail.com is
 *   documented for enhanced conversions, not for Customer Match, so it is not applied here.
 */

/** A value ready to hash, or why it cannot identify anyone. */
export type Normalized = { value: string; reason?: never } | { reason: string; value?: never }

/** SHA-256 of the UTF-8 text as 64 lowercase hex digits. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

// One @, something on each side and a dot in the domain: what a mailbox needs to match anyone.
const MAILBOX = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

function textOf(raw: unknown): string | null {
  if (typeof raw === 'string') return raw
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw)
  return null
}

/**
 * An email as the platform hashes it: trimmed and lower-cased; `removeSpaces` (Google) also drops
 * spaces inside it.
 * @example normalizeEmail('  Mary@Example.COM ') // { value: 'mary@example.com' }
 */
export function normalizeEmail(raw: unknown, options: { removeSpaces?: boolean } = {}): Normalized {
  const text = textOf(raw)
  if (text === null || !text.trim()) return { reason: 'no email' }
  const value = (options.removeSpaces ? text.replace(/\s+/g, '') : text.trim()).toLowerCase()
  return MAILBOX.test(value) ? { value } : { reason: 'the email is not an address (name@domain.tld)' }
}

/**
 * A hashing destination's config parsed by its schema, its phone country checked against what
 * libphonenumber knows (the isomorphic schema only checks the shape).
 * @example const config = parseHashedConfig(audienceConfig, ctx.config, 'Facebook custom audience')
 */
export function parseHashedConfig<S extends z.ZodType<{ defaultCountry: string }>>(
  schema: S,
  config: unknown,
  what: string,
): z.infer<S> {
  const parsed = parseConfig(schema, config, what)
  if (!isPhoneCountry(parsed.defaultCountry))
    throw new ConnectorError('config', `${parsed.defaultCountry} is not a country code phone numbers know`)
  return parsed
}

/** Whether `code` is a country libphonenumber knows (ISO 3166-1 alpha-2, upper case). */
export function isPhoneCountry(code: string): code is CountryCode {
  return /^[A-Z]{2}$/.test(code) && isSupportedCountry(code)
}

/**
 * A phone number in E.164 (`+` country code, national number, nothing else), read with
 * `defaultCountry` when it has no international prefix (or, failing that, as digits that start
 * with their country code); numbers that cannot exist are refused.
 * @example normalizePhone('(415) 555-2671', 'US') // { value: '+14155552671' }
 */
export function normalizePhone(raw: unknown, defaultCountry: string): Normalized {
  const text = textOf(raw)
  if (text === null || !text.trim()) return { reason: 'no phone number' }
  const country = isPhoneCountry(defaultCountry) ? defaultCountry : undefined
  let parsed = parsePhoneNumberFromString(text.trim(), country ? { defaultCountry: country } : {})
  // Digits that are no national number may be one written with its country code but no `+`
  // (how Meta stores phones, and what a number-typed attribute holds).
  const digits = text.replace(/[\s().-]/g, '')
  if (!parsed?.isValid() && /^[1-9]\d{7,14}$/.test(digits)) parsed = parsePhoneNumberFromString(`+${digits}`)
  if (!parsed?.isValid())
    return {
      reason: country
        ? `the phone number is not a valid number (read as ${country} without a country code)`
        : 'the phone number is not a valid international number',
    }
  return { value: parsed.number }
}

/** Meta's PHONE key: the E.164 digits without the `+`. */
export const metaPhone = (e164: string): string => e164.replace(/^\+/, '')

/** Where a person's identifiers are among the fields an export sends. */
export interface IdentifierFields {
  emailField: string
  phoneField: string
  defaultCountry: string
}

/** A person's normalised (not yet hashed) email and phone, or why neither can be used. */
export type PersonIdentifiers =
  | { email: string | null; phone: string | null; reason?: never }
  | { reason: string; email?: never; phone?: never }

/**
 * The email and phone (E.164) of a person the export sends, each normalised or left out; a
 * person with neither usable gets the reasons.
 */
export function personIdentifiers(
  fields: Record<string, unknown>,
  where: IdentifierFields,
  options: { removeSpaces?: boolean } = {},
): PersonIdentifiers {
  const email = normalizeEmail(fields[where.emailField], options)
  const phone = normalizePhone(fields[where.phoneField], where.defaultCountry)
  if (email.value === undefined && phone.value === undefined)
    return { reason: `${email.reason}; ${phone.reason}` }
  return { email: email.value ?? null, phone: phone.value ?? null }
}

/**
 * What a remove can name: the export keys people by one identifier (their email, or the phone
 * when the mapping marks it), so the key alone says which it is.
 */
export function keyIdentifiers(
  key: string,
  defaultCountry: string,
  options: { removeSpaces?: boolean } = {},
): PersonIdentifiers {
  if (key.includes('@')) {
    const email = normalizeEmail(key, options)
    return email.value === undefined ? { reason: email.reason } : { email: email.value, phone: null }
  }
  const phone = normalizePhone(key, defaultCountry)
  return phone.value === undefined ? { reason: phone.reason } : { email: null, phone: phone.value }
}

/** A person an export could not send, with why (see WriteAck's rejected). */
export interface Refused {
  id: string
  reason: string
}

/** The rows with usable identifiers; the others join `rejected` with their reason. */
export function usableRows<T extends { id: string }>(
  rows: readonly (T | Refused)[],
  rejected: Refused[],
): T[] {
  return rows.filter((row): row is T => {
    if ('reason' in row) rejected.push({ id: row.id, reason: row.reason })
    return !('reason' in row)
  })
}
