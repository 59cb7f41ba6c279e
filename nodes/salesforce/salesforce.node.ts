import { z } from 'zod'
import { defineProvider } from '../define.ts'

/**
 * The REST API version every request names: Spring '26. Salesforce keeps a version for at least
 * three years after its release, so moving on is a deliberate, tested change.
 */
export const API_VERSION = 'v66.0'

/**
 * A field's API name, or a relationship path to one (Account.Name): letters, digits and `_`
 * only, so nothing but a field name can reach the SOQL query.
 */
export const fieldName = z
  .string()
  .trim()
  .max(200)
  .regex(
    /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*){0,4}$/,
    "a field's API name such as Email, Score__c or Account.Name: letters, digits and _",
  )

const batchSize = z.int().min(200).max(2000).default(2000).meta({
  title: 'Records per request',
  description:
    'How many records Salesforce sends per page (200–2,000). Each page is kept as it arrives, so smaller pages lose less to an interruption but use more of the daily API requests.',
})

const fields = (defaults: string[], example: string) =>
  z
    .array(fieldName)
    .min(1)
    .max(200)
    .default(defaults)
    .meta({
      title: 'Fields',
      description: `The fields to read, by API name (Setup → Object Manager → the object → Fields & Relationships → Field Name), e.g. ${example}. Id and SystemModstamp are always read.`,
    })

export const contactsConfig = z.strictObject({
  fields: fields(
    ['Email', 'FirstName', 'LastName', 'Phone', 'Title', 'AccountId'],
    'Email, MailingCity, Account.Name',
  ),
  batchSize,
})
export const leadsConfig = z.strictObject({
  fields: fields(
    ['Email', 'FirstName', 'LastName', 'Phone', 'Company', 'Status', 'LeadSource'],
    'Email, Company, Rating',
  ),
  batchSize,
})
export type SalesforceSourceConfig = z.infer<typeof contactsConfig>

/** Salesforce's cloud, drawn plainly (Simple Icons carries no Salesforce logo), in its UI blue. */
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="#0176D3" aria-hidden="true"><path d="M10 5.5a4.2 4.2 0 0 1 3.1-1.4c1.6 0 3 .9 3.7 2.2a5 5 0 0 1 2-.4A4.9 4.9 0 0 1 23.7 11a4.9 4.9 0 0 1-5.8 4.8 3.6 3.6 0 0 1-4.7 1.5 4.1 4.1 0 0 1-7.6-.3 3.8 3.8 0 0 1-.8.1A3.8 3.8 0 0 1 1 13.3a3.8 3.8 0 0 1 1.9-3.3A4.4 4.4 0 0 1 10 5.5z"/></svg>`

/** Salesforce CRM: contacts and leads of the connected org, then only what changed. */
export const salesforce = defineProvider({
  id: 'salesforce',
  title: 'Salesforce',
  category: 'source',
  icon: ICON,
  description:
    'Reads the contacts and leads of a Salesforce org with the fields you choose, then only the records changed since the previous run.',
  auth: [
    {
      id: 'oauth2',
      title: 'Connect a Salesforce org',
      schema: z.strictObject({}),
      // A sandbox org signs in at test.salesforce.com: the admin sets these URLs on the OAuth app.
      oauth: {
        authorizeUrl: 'https://login.salesforce.com/services/oauth2/authorize',
        tokenUrl: 'https://login.salesforce.com/services/oauth2/token',
        scopes: ['api', 'refresh_token'],
      },
    },
  ],
  // Salesforce lets an org run 25 long requests at once, for every integration it has.
  budget: { concurrency: 5 },
  jobTypes: [
    {
      id: 'contacts',
      title: 'Contacts',
      direction: 'import',
      description:
        'Every contact with the chosen fields, oldest change first; later runs read only the contacts changed since.',
      config: contactsConfig,
      requiresAuthorization: true,
      defaultCadence: { every: '1h' },
      resetsCheckpoint: ['fields'],
    },
    {
      id: 'leads',
      title: 'Leads',
      direction: 'import',
      description:
        'Every lead with the chosen fields, oldest change first; later runs read only the leads changed since.',
      config: leadsConfig,
      requiresAuthorization: true,
      defaultCadence: { every: '1h' },
      resetsCheckpoint: ['fields'],
    },
  ],
})
