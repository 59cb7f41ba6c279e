import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

/**
 * Secrets at rest (DESIGN.md §6): AES-256-GCM with a random 96-bit nonce per value, the owner's id
 * and the field name bound as additional data — a value copied onto another authorization, or
 * another field, fails its tag — and the key id stored with each value, so a wrong key is named
 * as such instead of yielding garbage. Sealed form: `v1.<key id>.<nonce>.<ciphertext>.<tag>`,
 * base64url parts.
 */

const VERSION = 'v1'
const KEY_BYTES = 32
const NONCE_BYTES = 12
const TAG_BYTES = 16

export interface MasterKey {
  /** 16 hex digits derived from the key; safe to show and store. */
  id: string
  key: Buffer
}

/** A secret that cannot be opened; the message says which and what to do. */
export class VaultError extends Error {
  override name = 'VaultError'
}

/** Where a sealed value belongs: bound into its tag. */
export interface SealedPlace {
  owner: string
  field: string
}

const aad = (place: SealedPlace) => Buffer.from(`${place.owner}\u0000${place.field}`, 'utf8')
const describe = (place: SealedPlace) => `the secret "${place.field}" of ${place.owner}`

/** The key's public id: a hash, so it reveals nothing about the key. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('sluice-key-id\u0000').update(key).digest('hex').slice(0, 16)
}

export function masterKey(key: Buffer): MasterKey {
  if (key.length !== KEY_BYTES) throw new VaultError(`a master key is ${KEY_BYTES} bytes, not ${key.length}`)
  return { id: keyIdOf(key), key }
}

/** A fresh random key, as it is written to a key file or printed for SLUICE_SECRET_KEY. */
export function generateKeyText(): string {
  return randomBytes(KEY_BYTES).toString('base64')
}

/**
 * Reads a key given as base64, base64url or hex; null if the text is none of them at 32 bytes.
 * @example parseKeyText(generateKeyText())?.id // '3f9a…'
 */
export function parseKeyText(text: string): MasterKey | null {
  const trimmed = text.trim()
  const candidates = /^[0-9a-f]{64}$/i.test(trimmed)
    ? [Buffer.from(trimmed, 'hex')]
    : /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)
      ? [Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64')]
      : []
  const key = candidates.find((bytes) => bytes.length === KEY_BYTES)
  return key ? masterKey(key) : null
}

export function seal(key: MasterKey, place: SealedPlace, plaintext: string): string {
  const nonce = randomBytes(NONCE_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key.key, nonce, { authTagLength: TAG_BYTES })
  cipher.setAAD(aad(place))
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  const parts = [nonce, body, cipher.getAuthTag()].map((part) => part.toString('base64url'))
  return [VERSION, key.id, ...parts].join('.')
}

/** The key id a sealed value names, or null when it is not a sealed value. */
export function sealedKeyId(sealed: string): string | null {
  const parts = sealed.split('.')
  return parts.length === 5 && parts[0] === VERSION ? parts[1]! : null
}

/** Canonical base64url only: a flipped padding bit must not decode to the same bytes unnoticed. */
const canonical = (part: string) => Buffer.from(part, 'base64url').toString('base64url') === part

/**
 * Opens a sealed value with whichever of `keys` sealed it.
 * @throws VaultError when the value is damaged, was sealed under a key not given, or fails its
 * tag (altered, or moved from another owner or field).
 */
export function unseal(keys: readonly MasterKey[], place: SealedPlace, sealed: string): string {
  const parts = sealed.split('.')
  if (parts.length !== 5 || parts[0] !== VERSION || !parts.slice(2).every(canonical))
    throw new VaultError(`${describe(place)} is damaged: it is not a value Sluice sealed; enter it again`)
  const [, id, nonceText, bodyText, tagText] = parts as [string, string, string, string, string]
  const key = keys.find((candidate) => candidate.id === id)
  if (!key)
    throw new VaultError(
      `${describe(place)} was encrypted with key ${id}, but the configured key is ${keys[0]?.id ?? 'none'}: ` +
        "set SLUICE_SECRET_KEY to the key it was written with (or restore the data folder's secret.key)",
    )
  const nonce = Buffer.from(nonceText, 'base64url')
  const tag = Buffer.from(tagText, 'base64url')
  const altered = new VaultError(
    `${describe(place)} failed its integrity check: the stored value was altered or belongs elsewhere; enter it again`,
  )
  if (nonce.length !== NONCE_BYTES || tag.length !== TAG_BYTES) throw altered
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, nonce, { authTagLength: TAG_BYTES })
    decipher.setAAD(aad(place))
    decipher.setAuthTag(tag)
    return Buffer.concat([decipher.update(Buffer.from(bodyText, 'base64url')), decipher.final()]).toString(
      'utf8',
    )
  } catch {
    throw altered
  }
}
