import { describe, expect, it } from 'vitest'
import {
  isPhoneCountry,
  keyIdentifiers,
  metaPhone,
  normalizeEmail,
  normalizePhone,
  personIdentifiers,
  sha256Hex,
} from '../../nodes/hashed-identifiers.ts'

/**
 * Golden values: each input normalised by hand from the platforms' documented rules, and its
 * digest computed apart from this code with `printf '%s' '<normalised>' | sha256sum`.
 */
const GOLDEN: Record<string, string> = {
  // Meta's own example in "Custom Audiences": hash("sha256", "mary@example.com").
  'mary@example.com': 'f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79',
  'jane.doe@example.com': '86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d',
  'john.smith+promo@gmail.com': 'bf76de1a7b58966a1a636ee208f34a243f0f24c29b3d1163b6e0d14c0cfadfee',
  'dana@example.com': '07e2f1394b0ea80e2adca010ea8318df697001a005ba7452720edda4b0ce57b3',
  '+14155552671': 'cb6880e416769253645cb9c6b8989154bf66a56a77fc14c81fb1019663cbb928',
  '14155552671': '758fbf68945f21c416814c539ab578876c8d98fb69e6da692def92cd52417fe0',
  '+442079460958': 'f0bf0228144d9fe2bdf1da2d8ca698f17bf1410ee688b075c27062e47b6f0b6d',
  '442079460958': '35e206e5dec4c89b9e8b71b8c32724a5bb518483ac5a20c6617d738375b3b823',
  '+33612345678': '42d573cfc315801d4cd8eddd5416b416a0bf298b9b9e12d6b07442c91db42bd8',
  '33612345678': '8a3e7886c9335e82e02299fa3e87b46e2de3b0c63d56003e30a5029394a47661',
  '+4930123456': 'a909469fabf3f43d0b7b6c42a85a6e7e8ceb36c7a2f0f1b9c15b80dc16384cb7',
  '4930123456': 'ac75546db905289f50bd750fd5648fec0719074ce391521b2372abeae9110668',
}

const hashOf = (normalized: { value?: string }) => sha256Hex(normalized.value ?? 'missing')

describe('emails', () => {
  it.each([
    ['mary@example.com', 'mary@example.com'],
    ['  Jane.Doe@Example.COM \t', 'jane.doe@example.com'],
    ['John.Smith+Promo@Gmail.com', 'john.smith+promo@gmail.com'],
  ])('Meta and Google: %j trims and lower-cases to %s', (raw, normalized) => {
    expect(hashOf(normalizeEmail(raw))).toBe(GOLDEN[normalized])
    expect(hashOf(normalizeEmail(raw, { removeSpaces: true }))).toBe(GOLDEN[normalized])
  })

  it('Google removes spaces inside the address too; Meta refuses such an address', () => {
    expect(hashOf(normalizeEmail(' Dana @ Example.com', { removeSpaces: true }))).toBe(
      GOLDEN['dana@example.com'],
    )
    expect(normalizeEmail(' Dana @ Example.com')).toEqual({
      reason: 'the email is not an address (name@domain.tld)',
    })
  })

  it('keeps the dots and the +tag of a gmail address (Customer Match documents no rule for them)', () => {
    expect(normalizeEmail('John.Smith+Promo@Gmail.com', { removeSpaces: true }).value).toBe(
      'john.smith+promo@gmail.com',
    )
  })

  it.each([[''], ['   '], [null], [undefined], [{ email: 'x@y.z' }]])('%j is no email', (raw) => {
    expect(normalizeEmail(raw)).toEqual({ reason: 'no email' })
  })

  it.each([['not-an-email'], ['a@b'], ['@example.com'], ['two@@example.com']])('%j is refused', (raw) => {
    expect(normalizeEmail(raw).reason).toMatch(/not an address/)
  })
})

describe('phone numbers', () => {
  it.each([
    ['(415) 555-2671', 'US', '+14155552671'],
    [' +1 415.555.2671 ', 'GB', '+14155552671'],
    ['020 7946 0958', 'GB', '+442079460958'],
    ['+44 (0)20 7946 0958', 'US', '+442079460958'],
    ['06 12 34 56 78', 'FR', '+33612345678'],
    ['0049 30 123456', 'DE', '+4930123456'],
  ])('%j read as %s is %s (E.164)', (raw, country, e164) => {
    const normalized = normalizePhone(raw, country)
    expect(normalized).toEqual({ value: e164 })
    // Google hashes E.164 with its +, Meta the digits with the country code and no +.
    expect(hashOf(normalized)).toBe(GOLDEN[e164])
    expect(sha256Hex(metaPhone(e164))).toBe(GOLDEN[e164.slice(1)])
  })

  it('reads digits that start with their country code but lack the +, as a number or as text', () => {
    expect(normalizePhone(14155552671, 'GB')).toEqual({ value: '+14155552671' })
    expect(normalizePhone('33 6 12 34 56 78', 'US')).toEqual({ value: '+33612345678' })
  })

  it.each([
    ['12', 'US'],
    ['555-0100', 'US'],
    ['call me', 'US'],
  ])('%j is not a number that can exist', (raw, country) => {
    expect(normalizePhone(raw, country).reason).toBe(
      'the phone number is not a valid number (read as US without a country code)',
    )
  })

  it('without a usable default country only international numbers are read', () => {
    expect(isPhoneCountry('XX')).toBe(false)
    expect(isPhoneCountry('us')).toBe(false)
    expect(isPhoneCountry('US')).toBe(true)
    expect(normalizePhone('(415) 555-2671', 'XX').reason).toBe(
      'the phone number is not a valid international number',
    )
    expect(normalizePhone('+1 415 555 2671', 'XX')).toEqual({ value: '+14155552671' })
    expect(normalizePhone('', 'US')).toEqual({ reason: 'no phone number' })
  })
})

describe('a person', () => {
  const where = { emailField: 'email', phoneField: 'mobile', defaultCountry: 'GB' }

  it('has an email, a phone, or both; the reasons when neither can be used', () => {
    expect(personIdentifiers({ email: ' Mary@Example.com', mobile: '020 7946 0958' }, where)).toEqual({
      email: 'mary@example.com',
      phone: '+442079460958',
    })
    expect(personIdentifiers({ email: 'mary@example.com', mobile: 'n/a' }, where)).toEqual({
      email: 'mary@example.com',
      phone: null,
    })
    expect(personIdentifiers({ mobile: '020 7946 0958' }, where)).toEqual({
      email: null,
      phone: '+442079460958',
    })
    expect(personIdentifiers({ email: 'nope', phone: '020 7946 0958' }, where)).toEqual({
      reason: 'the email is not an address (name@domain.tld); no phone number',
    })
  })

  it("is named by an export's key: an email, or else a phone number", () => {
    expect(keyIdentifiers('mary@example.com', 'US')).toEqual({ email: 'mary@example.com', phone: null })
    expect(keyIdentifiers('+44 20 7946 0958', 'US')).toEqual({ email: null, phone: '+442079460958' })
    expect(keyIdentifiers('not a key', 'US').reason).toMatch(/not a valid number/)
  })
})
