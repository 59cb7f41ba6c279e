import { siHubspot } from 'simple-icons'
import { z } from 'zod'
import { brandIcon } from '../brand-icon.ts'
import { defineProvider, SECRET } from '../define.ts'

/** HubSpot's API, unless an authorization or the admin's OAuth app names another. */
export const HUBSPOT_API = 'https://api.hubapi.com'
/** Most inputs a CRM batch endpoint takes per request (batch upsert and update). */
export const BATCH_LIMIT = 100

const apiUrl = z
  .url({ protocol: /^https?$/, error: 'an http:// or https:// URL' })
  .optional()
  .meta({
    title: 'API URL',
    description: "Leave empty for HubSpot's API; set it for a sandbox or a test server",
  })

export const hubspotTokenCredentials = z.strictObject({
  accessToken: z
    .string()
    .trim()
    .min(1, 'paste the access token')
    .max(1000)
    .meta({
      ...SECRET,
      title: 'Private app access token',
      description:
        'In HubSpot: Settings → Integrations → Private apps → your app → Auth → Access token (it starts with pat-). Give the app the crm.objects.contacts.read and crm.objects.contacts.write scopes.',
    }),
  apiUrl,
})

/** A contact property's internal name: lower-case letters, digits and `_` (Settings → Properties shows it). */
export const propertyName = z
  .string()
  .trim()
  .regex(/^[a-z][a-z0-9_]{0,99}$/, "a property's internal name such as lifecyclestage: a–z, 0–9 and _")

export const contactsConfig = z.strictObject({
  properties: z
    .array(propertyName)
    .min(1)
    .max(200)
    .default(['email', 'firstname', 'lastname', 'phone', 'lifecyclestage'])
    .meta({
      title: 'Properties',
      description:
        "The contact properties to read, by internal name (HubSpot → Settings → Properties → a property's </> internal name), e.g. email, firstname, company",
    }),
})
export type ContactsConfig = z.infer<typeof contactsConfig>

export const contactsExportConfig = z.strictObject({
  audienceProperty: propertyName.meta({
    title: 'Audience property',
    description:
      'A single checkbox contact property that Sluice ticks for everyone in the audience and unticks for those who leave it. Create it in HubSpot first (Settings → Properties → Create property, e.g. "In Sluice audience" → in_sluice_audience), then build lists or workflows on it.',
    placeholder: 'in_sluice_audience',
  }),
})
export type ContactsExportConfig = z.infer<typeof contactsExportConfig>

/** HubSpot's contacts: read them (then only what changed), and keep them in step with an audience. */
export const hubspot = defineProvider({
  id: 'hubspot',
  title: 'HubSpot',
  category: 'destination',
  // HubSpot's orange reads poorly on white (2.6:1); a deeper shade of it passes 3:1.
  icon: brandIcon(siHubspot, 'E8552F'),
  description:
    "Reads HubSpot contacts with the properties you choose, then only those changed since; sends a Sluice audience's people to HubSpot as contacts keyed by email, ticking a checkbox property for who is in it and unticking it for who leaves.",
  auth: [
    { id: 'apikey', title: 'Private app access token', schema: hubspotTokenCredentials },
    {
      id: 'oauth2',
      title: 'Connect a HubSpot account',
      schema: z.strictObject({}),
      oauth: {
        authorizeUrl: 'https://app.hubspot.com/oauth/authorize',
        tokenUrl: 'https://api.hubapi.com/oauth/v1/token',
        scopes: ['oauth', 'crm.objects.contacts.read', 'crm.objects.contacts.write'],
      },
    },
  ],
  // HubSpot's smallest burst limit (private apps on Free and Starter): 100 requests per 10 seconds
  // per account, shared by every job using the authorization.
  budget: { requests: { count: 100, perMs: 10_000 } },
  jobTypes: [
    {
      id: 'contacts',
      title: 'Contacts',
      direction: 'import',
      description:
        'Every contact with the chosen properties; later runs read only the contacts changed since the previous one.',
      config: contactsConfig,
      requiresAuthorization: true,
      defaultCadence: { every: '1h' },
      // New properties: read everyone again, so every contact has them.
      resetsCheckpoint: ['properties'],
    },
    {
      id: 'audience',
      title: 'Sync audience to contacts',
      direction: 'export',
      description:
        "Creates or updates a contact per person in the audience (keyed by email) with the mapped properties and ticks the audience property; unticks it for those who leave. Map attributes to HubSpot's internal property names.",
      config: contactsExportConfig,
      requiresAuthorization: true,
      defaultCadence: { after: 'upstream' },
      // Another property has been ticked for no one yet.
      resetsCheckpoint: ['audienceProperty'],
      identifier: 'email',
      batchSize: BATCH_LIMIT,
    },
  ],
})
