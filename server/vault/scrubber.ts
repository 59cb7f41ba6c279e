/**
 * Known secret values, removed from every log line whatever form they take there (DESIGN.md §6):
 * as stored, JSON-escaped, base64 and base64url (a basic-auth header, a token in a payload) and
 * URL-encoded. The Vault adds each value it seals or opens; a redaction by path (log.ts) cannot
 * catch a key a connector wrote into an error message, this can.
 */

const CENSOR = '[redacted]'
/** Shorter values would scrub ordinary words; no credential a provider issues is this short. */
const MIN_LENGTH = 6

const known = new Set<string>()
let pattern: RegExp | null = null

function formsOf(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8')
  return [
    value,
    JSON.stringify(value).slice(1, -1),
    bytes.toString('base64'),
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('base64url'),
    encodeURIComponent(value),
    // application/x-www-form-urlencoded, as a token endpoint's body carries it.
    new URLSearchParams({ v: value }).toString().slice(2),
  ]
}

/** Registers a secret (and, for basic auth, `user:password`) for scrubbing in this process. */
export function addKnownSecret(value: string): void {
  if (value.length < MIN_LENGTH || known.has(value)) return
  known.add(value)
  pattern = null
}

/** Removes a secret that no longer exists (a rotated or deleted credential). */
export function forgetKnownSecret(value: string): void {
  if (known.delete(value)) pattern = null
}

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** `access_token=...` in any URL or body, whatever the value: never logged (API.md data keys). */
const ACCESS_TOKEN = /(access_token(?:=|%3D|\\?":\\?"))[^&"\s\\]+/gi

/** The text with every known secret, in every form, and every access_token value censored. */
export function scrubSecrets(text: string): string {
  if (known.size > 0) {
    if (!pattern) {
      const forms = new Set([...known].flatMap(formsOf).filter((form) => form.length >= MIN_LENGTH))
      // Longest first, so a value's base64 is not cut short by a shorter secret inside it.
      const sorted = [...forms].sort((a, b) => b.length - a.length).map(literal)
      pattern = new RegExp(sorted.join('|'), 'g')
    }
    text = text.replace(pattern, CENSOR)
  }
  return text.replace(ACCESS_TOKEN, `$1${CENSOR}`)
}
