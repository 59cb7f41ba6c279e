import { z } from 'zod'
import { defineProvider } from '../define.ts'

/** A profile attribute's name, as identity rules and mappings write them. */
const attributeName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_.-]+$/, 'an attribute name: letters, digits, "_", "." or "-"')

export const geoipConfig = z.strictObject({
  ipAttribute: attributeName.default('ip').meta({
    title: 'IP address attribute',
    description:
      "The profile attribute holding the person's last IP address (IPv4 or IPv6), e.g. ip. Profiles without one, or with a private address, are left as they are.",
  }),
  prefix: z
    .string()
    .max(40)
    .regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'letters, digits and "_", starting with a letter')
    .default('geo_')
    .meta({
      title: 'Attribute prefix',
      description:
        'Starts the names of the attributes added: with geo_, profiles gain geo_country (ISO code such as US), geo_region, geo_city and geo_timezone (such as Europe/London).',
    }),
})
export type GeoipConfig = z.infer<typeof geoipConfig>

// A globe: the outline, the equator and one meridian.
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><circle cx="12" cy="12" r="10"/><path d="M2 12h20"/><path d="M12 2a15 15 0 0 1 4 10 15 15 0 0 1-4 10 15 15 0 0 1-4-10 15 15 0 0 1 4-10z"/></svg>`

/** Where people are, from their IP address, looked up in a local database: nothing leaves Sluice. */
export const geoip = defineProvider({
  id: 'geoip',
  title: 'GeoIP',
  category: 'enrichment',
  icon: ICON,
  description:
    "Adds country, region, city and timezone to profiles from their IP address, looked up in a database bundled with Sluice (geoip-lite, from MaxMind's GeoLite data): no address leaves your server.",
  auth: [{ id: 'none', title: 'No authorization', schema: z.strictObject({}) }],
  jobTypes: [
    {
      id: 'location',
      title: 'Location from IP address',
      direction: 'enrichment',
      description:
        'Looks up each new or changed profile\'s IP address and adds where it is. Private, reserved and unknown addresses add nothing and are counted as "omitted".',
      config: geoipConfig,
      requiresAuthorization: false,
      defaultCadence: { after: 'upstream' },
      // Another input or other output names: every profile is looked up again.
      resetsCheckpoint: ['ipAttribute', 'prefix'],
    },
  ],
})
