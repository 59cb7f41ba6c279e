import { siFacebook } from 'simple-icons'
import { z } from 'zod'
import { brandIcon } from '../brand-icon.ts'
import { defineProvider, SECRET } from '../define.ts'
import { hashedIdentifierFields } from '../hashed-fields.ts'

/** The Graph API version called (v26.0, released 29 July 2026). */
export const GRAPH_VERSION = 'v26.0'
export const GRAPH_URL = 'https://graph.facebook.com'
/** Most people one add or remove request takes ("Custom Audience Users": 10,000 at a time). */
export const USERS_PER_REQUEST = 10_000

export const facebookCredentials = z.strictObject({
  accessToken: z
    .string()
    .trim()
    .min(20, 'paste the whole access token')
    .max(2000)
    .meta({
      ...SECRET,
      title: 'Access token',
      description:
        "A system user's token with the ads_management permission: in Meta Business Settings → Users → System users, add the ad account that owns the audience to the system user, then Generate new token",
    }),
  apiUrl: z
    .url({ protocol: /^https?$/, error: 'an http:// or https:// URL' })
    .optional()
    .meta({
      title: 'API URL',
      description: "Leave empty for Meta's Graph API; set it for a sandbox or a test server",
    }),
})
export type FacebookCredentials = z.infer<typeof facebookCredentials>

export const audienceConfig = z.strictObject({
  audienceId: z
    .string()
    .trim()
    .regex(/^\d{1,30}$/, 'the audience ID: digits only, e.g. 23851234567890123')
    .meta({
      title: 'Custom audience ID',
      description:
        "In Meta Ads Manager → Audiences, create a Custom audience from a customer list (or pick one) and copy its ID from the audience's details",
      placeholder: '23851234567890123',
    }),
  ...hashedIdentifierFields,
  batchSize: z.int().min(1).max(USERS_PER_REQUEST).default(USERS_PER_REQUEST).meta({
    title: 'People per request',
    description: "How many people each request to Meta carries: at most 10,000, Meta's limit",
  }),
})
export type AudienceConfig = z.infer<typeof audienceConfig>

/** Meta's Custom Audiences from a customer list, kept in step with a Sluice audience. */
export const facebookAudiences = defineProvider({
  id: 'facebook',
  title: 'Facebook Custom Audiences',
  category: 'destination',
  icon: brandIcon(siFacebook),
  description:
    'Keeps a Meta custom audience (Facebook, Instagram, Audience Network) in step with a Sluice audience: adds who joins and removes who leaves, matched on email and phone, SHA-256 hashed before they leave Sluice.',
  auth: [{ id: 'apikey', title: 'System user access token', schema: facebookCredentials }],
  // Custom audience calls share the ad account's business use case rate limit (code 80003): a
  // couple of jobs at a time per token keeps one audience's sync from starving the others.
  budget: { concurrency: 2 },
  jobTypes: [
    {
      id: 'audience',
      title: 'Custom audience',
      direction: 'export',
      description:
        "Adds the audience's people to the custom audience and removes those who leave. Each person is sent as EMAIL and PHONE, normalised as Meta documents and SHA-256 hashed; people with neither are skipped with the reason. To include people who have only a phone number, mark the phone as an identity in the mapping.",
      config: audienceConfig,
      requiresAuthorization: true,
      defaultCadence: { after: 'upstream' },
      // Another audience holds none of the people added to this one; a new country or attribute
      // changes every hash sent.
      resetsCheckpoint: ['audienceId', 'emailField', 'phoneField', 'defaultCountry'],
      identifier: 'email',
      batchSize: USERS_PER_REQUEST,
    },
  ],
})
