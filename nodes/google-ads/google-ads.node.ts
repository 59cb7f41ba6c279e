import { siGoogleads } from 'simple-icons'
import { z } from 'zod'
import { brandIcon } from '../brand-icon.ts'
import { defineProvider, SECRET } from '../define.ts'
import { hashedIdentifierFields } from '../hashed-fields.ts'

/** The Google Ads API version called (v26, released October 2026). */
export const ADS_VERSION = 'v26'
export const ADS_URL = 'https://googleads.googleapis.com'
/**
 * Operations per addOperations request: Google takes at most 100,000 user identifiers a request
 * and recommends about 10,000; a person here carries at most two (email, phone).
 */
export const OPERATIONS_PER_REQUEST = 5000
/** People per offline user data job: one job per batch, acknowledged once it runs. */
export const PEOPLE_PER_JOB = 20_000

/** A Google Ads customer ID as the UI shows it (123-456-7890) or as digits. */
const customerId = (title: string, description: string) =>
  z
    .string()
    .trim()
    .regex(/^\d{3}-?\d{3}-?\d{4}$/, 'a customer ID of 10 digits, such as 123-456-7890')
    .meta({ title, description, placeholder: '123-456-7890' })

export const customerMatchConfig = z.strictObject({
  customerId: customerId(
    'Customer ID',
    'The Google Ads account that owns the customer list: the 10-digit ID at the top of Google Ads, e.g. 123-456-7890',
  ),
  userListId: z
    .string()
    .trim()
    .regex(/^\d{1,20}$/, 'the customer list ID: digits only')
    .meta({
      title: 'Customer list ID',
      description:
        'In Google Ads → Tools → Shared library → Audience manager → Your data segments, open the customer list: its ID is in the address (userListId=…)',
      placeholder: '7012345678',
    }),
  loginCustomerId: customerId(
    'Manager account ID',
    'Only when the connected Google account reaches the customer through a manager account (MCC): that manager’s 10-digit ID',
  ).optional(),
  ...hashedIdentifierFields,
  consent: z.enum(['granted', 'unspecified']).default('unspecified').meta({
    title: 'Consent',
    description:
      'granted tells Google that the people sent agreed to their data being used for ads and personalised ads (required for people in the EEA); unspecified sends no consent',
  }),
  batchSize: z.int().min(1).max(OPERATIONS_PER_REQUEST).default(OPERATIONS_PER_REQUEST).meta({
    title: 'People per request',
    description:
      'How many people each upload request carries, at most 5,000 (about 10,000 identifiers, as Google recommends)',
  }),
})
export type CustomerMatchConfig = z.infer<typeof customerMatchConfig>

export const googleAdsAppFields = z.strictObject({
  developerToken: z
    .string()
    .trim()
    .max(100)
    .optional()
    .meta({
      ...SECRET,
      title: 'Developer token',
      description:
        'In Google Ads, in the manager account of your API project: Tools → API Center, the 22-character developer token. Google stopped requiring it on 9 September 2026 (access now follows the Google Cloud project of the OAuth client); it is sent when set.',
    }),
})

/** Google Ads Customer Match lists, kept in step with a Sluice audience. */
export const googleAds = defineProvider({
  id: 'google-ads',
  title: 'Google Ads Customer Match',
  category: 'destination',
  icon: brandIcon(siGoogleads),
  description:
    'Keeps a Google Ads customer list (Search, Shopping, Gmail, YouTube, Display) in step with a Sluice audience through offline user data jobs: adds who joins and removes who leaves, matched on email and phone, SHA-256 hashed before they leave Sluice.',
  auth: [
    {
      id: 'oauth2',
      title: 'Connect a Google Ads account',
      schema: z.strictObject({}),
      oauth: {
        authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
        tokenUrl: 'https://oauth2.googleapis.com/token',
        scopes: ['https://www.googleapis.com/auth/adwords'],
        // Google issues a refresh token only for offline access, and again on reconnect only with consent.
        authorizeParams: { access_type: 'offline', prompt: 'consent' },
      },
      appFields: googleAdsAppFields,
    },
  ],
  // Jobs on one list must not run at once (Google refuses concurrent modifications); two jobs per
  // connected account leave room for a second list.
  budget: { concurrency: 2 },
  jobTypes: [
    {
      id: 'customer-match',
      title: 'Customer list',
      direction: 'export',
      description:
        "Adds the audience's people to a Customer Match list and removes those who leave, through offline user data jobs. Each person is sent as a hashed email and a hashed phone number (E.164), normalised as Google documents; people with neither are skipped with the reason. To include people who have only a phone number, mark the phone as an identity in the mapping.",
      config: customerMatchConfig,
      requiresAuthorization: true,
      defaultCadence: { after: 'upstream' },
      // Another list holds none of the people sent to this one; a new country or attribute changes
      // every hash sent.
      resetsCheckpoint: ['customerId', 'userListId', 'emailField', 'phoneField', 'defaultCountry'],
      identifier: 'email',
      batchSize: PEOPLE_PER_JOB,
    },
  ],
})
