import { z } from 'zod'
import { defineProvider } from '../define.ts'

export const phoneConfig = z.strictObject({
  phoneAttribute: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9_.-]+$/, 'an attribute name: letters, digits, "_", "." or "-"')
    .default('phone')
    .meta({
      title: 'Phone number attribute',
      description:
        'The profile attribute holding the phone number, written any way people type them: +44 7400 123456, (212) 555-0123, 07400 123456.',
    }),
  defaultCountry: z
    .string()
    .regex(/^[A-Z]{2}$/, 'a two-letter country code in capitals, such as GB or US')
    .optional()
    .meta({
      title: 'Country of national numbers',
      description:
        'Where numbers written without an international prefix (07400 123456) are from, as a two-letter code such as GB. Leave empty to accept only numbers starting with + or 00.',
      placeholder: 'GB',
    }),
  prefix: z
    .string()
    .max(40)
    .regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'letters, digits and "_", starting with a letter')
    .default('phone_')
    .meta({
      title: 'Attribute prefix',
      description:
        'Starts the names of the attributes added: with phone_, profiles gain phone_e164 (+447400123456), phone_country (GB) and phone_type (mobile, fixed_line, ...).',
    }),
})
export type PhoneConfig = z.infer<typeof phoneConfig>

// A telephone handset.
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M22 16.9v3a2 2 0 0 1-2.2 2 19.8 19.8 0 0 1-8.6-3.1 19.5 19.5 0 0 1-6-6A19.8 19.8 0 0 1 2.1 4.2 2 2 0 0 1 4.1 2h3a2 2 0 0 1 2 1.7c.1 1 .4 1.9.7 2.8a2 2 0 0 1-.5 2.1L8.1 9.9a16 16 0 0 0 6 6l1.3-1.3a2 2 0 0 1 2.1-.4c.9.3 1.8.6 2.8.7a2 2 0 0 1 1.7 2z"/></svg>`

/** Phone numbers checked and normalised with Google's libphonenumber metadata, offline. */
export const phone = defineProvider({
  id: 'phone',
  title: 'Phone numbers',
  category: 'enrichment',
  icon: ICON,
  description:
    'Checks phone numbers and adds them in international E.164 form with their country and line type (mobile, fixed line, toll free...), from the numbering plans in libphonenumber: no number leaves your server.',
  auth: [{ id: 'none', title: 'No authorization', schema: z.strictObject({}) }],
  jobTypes: [
    {
      id: 'numbers',
      title: 'Normalise phone numbers',
      direction: 'enrichment',
      description:
        'Parses each new or changed profile\'s phone number. Numbers that no numbering plan allows add nothing and are counted as "omitted". Where a plan does not tell mobiles from fixed lines (the US and Canada), the type is fixed_line_or_mobile.',
      config: phoneConfig,
      requiresAuthorization: false,
      defaultCadence: { after: 'upstream' },
      resetsCheckpoint: ['phoneAttribute', 'defaultCountry', 'prefix'],
    },
  ],
})
