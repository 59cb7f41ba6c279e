import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/max'
import { type ConnectorContext, ConnectorError, defineConnector, parseConfig } from '../define.ts'
import { type PhoneConfig, phone, phoneConfig } from './phone.node.ts'

/**
 * What a phone number is, as attributes named with `prefix`; empty when it is not a number any
 * numbering plan allows. The `max` metadata is the one that knows line types (mobile, fixed line):
 * the default metadata only checks lengths. Numbers held as numbers (a spreadsheet's cell) are
 * read as their digits.
 * @example describePhone('+44 7400 123456', undefined, 'phone_') // { phone_e164: '+447400123456', phone_country: 'GB', phone_type: 'mobile' }
 */
export function describePhone(
  value: unknown,
  defaultCountry: string | undefined,
  prefix: string,
): Record<string, string> {
  const text = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null
  if (!text?.trim()) return {}
  const country =
    defaultCountry && isSupportedCountry(defaultCountry) ? (defaultCountry as CountryCode) : undefined
  // Without a country libphonenumber knows no international prefix; 00 is the one most of the
  // world dials, and the config promises numbers written with it are read.
  const written = !country && /^\s*00/.test(text) ? `+${text.trim().slice(2)}` : text
  const parsed = parsePhoneNumberFromString(written, country ? { defaultCountry: country } : {})
  if (!parsed?.isValid()) return {}
  const type = parsed.getType()
  return {
    [`${prefix}e164`]: parsed.number,
    // Non-geographic numbers (+800, +882) belong to no country.
    ...(parsed.country ? { [`${prefix}country`]: parsed.country } : {}),
    ...(type ? { [`${prefix}type`]: type.toLowerCase() } : {}),
  }
}

async function enrich(
  ctx: ConnectorContext<PhoneConfig>,
  profiles: { id: string; attributes: Record<string, unknown> }[],
) {
  const config = parseConfig(phoneConfig, ctx.config, 'phone numbers')
  if (config.defaultCountry && !isSupportedCountry(config.defaultCountry))
    throw new ConnectorError(
      'config',
      `"${config.defaultCountry}" is not a country with a numbering plan libphonenumber knows; use a code such as GB or US`,
    )
  return profiles.flatMap((profile) => {
    const attributes = describePhone(
      profile.attributes[config.phoneAttribute],
      config.defaultCountry,
      config.prefix,
    )
    return Object.keys(attributes).length ? [{ id: profile.id, attributes }] : []
  })
}

export default defineConnector(phone, {
  async check(ctx) {
    const country = (ctx.config as { defaultCountry?: unknown } | null)?.defaultCountry
    if (typeof country === 'string' && !isSupportedCountry(country))
      return { ok: false, message: `"${country}" is not a country libphonenumber knows` }
    return {
      ok: true,
      message: 'phone numbers are checked offline with libphonenumber: nothing to connect to',
    }
  },
  jobs: { numbers: { direction: 'enrichment', enrich } },
})
