import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../../server/config.ts'
import { createLogger } from '../../server/log.ts'
import {
  generateKeyText,
  parseKeyText,
  type SealedPlace,
  seal,
  sealedKeyId,
  unseal,
  VaultError,
} from '../../server/vault/cipher.ts'
import { KEY_FILE, loadMasterKey } from '../../server/vault/master-key.ts'

const key = parseKeyText(generateKeyText())!
const place: SealedPlace = { owner: 'authorization au_1', field: 'apiKey' }

describe('sealing secrets', () => {
  it('round-trips any text and never writes it in the sealed form', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (secret) => {
        const sealed = seal(key, place, secret)
        expect(unseal([key], place, sealed)).toBe(secret)
        expect(sealedKeyId(sealed)).toBe(key.id)
        // Two seals of one value differ: the nonce is fresh each time.
        expect(seal(key, place, secret)).not.toBe(sealed)
        if (secret.length >= 4) expect(sealed).not.toContain(secret)
      }),
      { numRuns: 200 },
    )
  })

  it('rejects each of 1,000 random bit flips of the stored value with a clear error', () => {
    const sealed = seal(key, place, 'canary-9f2c1d-secret-value')
    const [version, id, ...parts] = sealed.split('.')
    const bytes = parts.map((part) => Buffer.from(part, 'base64url'))
    const sizes = bytes.map((part) => part.length * 8)
    const total = sizes.reduce((sum, size) => sum + size, 0)
    let rejected = 0
    fc.assert(
      fc.property(fc.integer({ min: 0, max: total - 1 }), (bit) => {
        const flipped = bytes.map((part) => Buffer.from(part))
        let at = bit
        let which = 0
        while (at >= sizes[which]!) at -= sizes[which++]!
        flipped[which]![at >> 3]! ^= 1 << (at & 7)
        const damaged = [version, id, ...flipped.map((part) => part.toString('base64url'))].join('.')
        expect(() => unseal([key], place, damaged)).toThrow(/failed its integrity check.*enter it again/)
        rejected++
      }),
      { numRuns: 1000 },
    )
    expect(rejected).toBe(1000)
  })

  it('rejects bit flips of the stored text itself, whatever character they produce', () => {
    const sealed = seal(key, place, 'canary-secret')
    fc.assert(
      fc.property(fc.integer({ min: 0, max: sealed.length * 8 - 1 }), (bit) => {
        const bytes = Buffer.from(sealed, 'latin1')
        bytes[bit >> 3]! ^= 1 << (bit & 7)
        const damaged = bytes.toString('latin1')
        expect(() => unseal([key], place, damaged)).toThrow(VaultError)
      }),
      { numRuns: 1000 },
    )
  })

  it('refuses a value moved to another authorization or another field', () => {
    const sealed = seal(key, place, 'moved-secret')
    expect(() => unseal([key], { owner: 'authorization au_2', field: 'apiKey' }, sealed)).toThrow(
      'the secret "apiKey" of authorization au_2 failed its integrity check',
    )
    expect(() => unseal([key], { ...place, field: 'password' }, sealed)).toThrow(/failed its integrity check/)
  })

  it('names the key a value was sealed with when another key is configured', () => {
    const other = parseKeyText(generateKeyText())!
    const sealed = seal(key, place, 'secret')
    expect(() => unseal([other], place, sealed)).toThrow(
      `was encrypted with key ${key.id}, but the configured key is ${other.id}`,
    )
    // During a rotation both keys open it.
    expect(unseal([other, key], place, sealed)).toBe('secret')
  })

  it('reads keys as base64, base64url or hex, and nothing shorter or longer', () => {
    const bytes = Buffer.alloc(32, 7)
    const id = parseKeyText(bytes.toString('base64'))!.id
    expect(parseKeyText(bytes.toString('base64url'))!.id).toBe(id)
    expect(parseKeyText(bytes.toString('hex'))!.id).toBe(id)
    expect(parseKeyText(` ${bytes.toString('base64')}\n`)!.id).toBe(id)
    expect(parseKeyText(Buffer.alloc(16).toString('base64'))).toBeNull()
    expect(parseKeyText('correct horse battery staple')).toBeNull()
    expect(id).toMatch(/^[0-9a-f]{16}$/)
  })
})

describe('the master key', () => {
  const dirs: string[] = []
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
  })
  function setup() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-key-'))
    dirs.push(dir)
    const lines: string[] = []
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk))
        done()
      },
    })
    return { dir, lines, logger: createLogger({ destination }) }
  }

  it('generates a key once into the data folder, mode 0600, with a loud warning, and reuses it', () => {
    const { dir, lines, logger } = setup()
    const first = loadMasterKey({ envKey: undefined, dataDir: dir, storedKeyIds: [], logger })
    const file = path.join(dir, KEY_FILE)
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    expect(lines.join('')).toContain('GENERATED A NEW MASTER KEY')
    expect(lines.join('')).toContain('back it up')
    // The warning names the key's id, never the key.
    expect(lines.join('')).not.toContain(fs.readFileSync(file, 'utf8').trim())
    const again = loadMasterKey({ envKey: undefined, dataDir: dir, storedKeyIds: [first.id], logger })
    expect(again.id).toBe(first.id)
    expect(lines).toHaveLength(1)
  })

  it('prefers SLUICE_SECRET_KEY and refuses a malformed one', () => {
    const { dir, logger } = setup()
    const text = generateKeyText()
    expect(loadMasterKey({ envKey: text, dataDir: dir, storedKeyIds: [], logger }).id).toBe(
      parseKeyText(text)!.id,
    )
    expect(fs.existsSync(path.join(dir, KEY_FILE))).toBe(false)
    expect(() => loadMasterKey({ envKey: 'hunter2', dataDir: dir, storedKeyIds: [], logger })).toThrow(
      /SLUICE_SECRET_KEY is not a 32-byte key.*openssl rand -base64 32/,
    )
  })

  it('refuses to start with a key other than the one the stored secrets were sealed with', () => {
    const { dir, logger } = setup()
    const stored = parseKeyText(generateKeyText())!
    const other = generateKeyText()
    const start = () => loadMasterKey({ envKey: other, dataDir: dir, storedKeyIds: [stored.id], logger })
    expect(start).toThrow(ConfigError)
    expect(start).toThrow(
      `encrypted with key ${stored.id}, but the configured key is ${parseKeyText(other)!.id}`,
    )
  })

  it('never generates a new key over existing secrets', () => {
    const { dir, logger } = setup()
    expect(() =>
      loadMasterKey({ envKey: undefined, dataDir: dir, storedKeyIds: ['00aa11bb22cc33dd'], logger }),
    ).toThrow(/SLUICE_SECRET_KEY is not set and the data folder has no secret.key.*00aa11bb22cc33dd/)
    expect(fs.existsSync(path.join(dir, KEY_FILE))).toBe(false)
  })
})
