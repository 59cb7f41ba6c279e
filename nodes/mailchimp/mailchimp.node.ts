import { siMailchimp } from 'simple-icons'
import { z } from 'zod'
import { brandIcon } from '../brand-icon.ts'
import { defineProvider, SECRET } from '../define.ts'

/** Mailchimp keys end with their datacenter, e.g. `…-us21`: the account's API lives there. */
export const DATACENTER = /-([a-z]+\d+)$/

export const mailchimpCredentials = z.strictObject({
  apiKey: z
    .string()
    .trim()
    .min(1, 'enter the API key')
    .max(200)
    .regex(DATACENTER, 'a Mailchimp API key ends with its datacenter, e.g. …-us21; copy the whole key')
    .meta({
      ...SECRET,
      title: 'API key',
      description:
        'In Mailchimp: profile menu → Profile → Extras → API keys → Create A Key. Copy the whole key, including its ending such as -us21.',
    }),
  apiUrl: z
    .url({ protocol: /^https?$/, error: 'an http:// or https:// URL' })
    .optional()
    .meta({
      title: 'API URL',
      description: "Leave empty for Mailchimp's API; set it for a sandbox or a test server",
    }),
})
export type MailchimpCredentials = z.infer<typeof mailchimpCredentials>

const listId = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9]{1,32}$/, 'an audience ID such as a1b2c3d4e5 (letters and digits)')
  .meta({
    title: 'Audience ID',
    description:
      'In Mailchimp: Audience → All contacts → Settings → Audience name and defaults; the Audience ID is shown there (e.g. a1b2c3d4e5)',
    placeholder: 'a1b2c3d4e5',
  })

export const membersConfig = z.strictObject({ listId })
export type MembersConfig = z.infer<typeof membersConfig>

/** Merge tags are upper-case letters, digits and `_`, at most 10 characters (FNAME, LNAME, PHONE). */
const mergeTag = z.string().regex(/^[A-Z][A-Z0-9_]{0,9}$/, 'a merge tag such as FNAME: A–Z, 0–9, _')

export const audienceConfig = z.strictObject({
  listId,
  mergeFields: z
    .record(mergeTag, z.string().min(1).max(200))
    .default({ FNAME: 'first_name', LNAME: 'last_name' })
    .meta({
      title: 'Merge fields',
      description:
        'Which profile attribute fills each Mailchimp merge field, e.g. FNAME ← first_name. The merge tags are under Audience → Settings → Audience fields and *|MERGE|* tags.',
    }),
  tags: z.array(z.string().trim().min(1).max(100)).max(50).default([]).meta({
    title: 'Tags',
    description: 'Tags added to everyone this job sends, e.g. sluice or vip; existing tags are kept',
  }),
  status: z.enum(['subscribed', 'pending', 'transactional']).default('subscribed').meta({
    title: 'Status of people sent',
    description:
      'subscribed receives campaigns; pending first gets a confirmation email (double opt-in); transactional only gets transactional email',
  }),
  onRemove: z.enum(['unsubscribe', 'archive']).default('unsubscribe').meta({
    title: 'When someone leaves the audience',
    description:
      'unsubscribe keeps them in Mailchimp as unsubscribed; archive removes them from the audience (their history stays in Mailchimp)',
  }),
})
export type AudienceConfig = z.infer<typeof audienceConfig>

/** Most members the batch subscribe endpoint takes per request. */
export const BATCH_LIMIT = 500

/** Mailchimp's audiences: read their members, or keep one in step with a Sluice audience. */
export const mailchimp = defineProvider({
  id: 'mailchimp',
  title: 'Mailchimp',
  category: 'destination',
  // Mailchimp's yellow is unreadable on white: its dark "peppercorn" instead.
  icon: brandIcon(siMailchimp, '241C15'),
  description:
    'Reads the members of a Mailchimp audience with their merge fields, tags and status, and keeps an audience in step with a Sluice audience: subscribes who joins, unsubscribes or archives who leaves.',
  auth: [{ id: 'apikey', title: 'API key', schema: mailchimpCredentials }],
  // 10 simultaneous connections per API key (Mailchimp's API fundamentals): more answer 429.
  budget: { concurrency: 10 },
  jobTypes: [
    {
      id: 'members',
      title: 'Audience members',
      direction: 'import',
      description:
        'Every member of the audience with merge fields, tags and status; later runs read only members changed since.',
      config: membersConfig,
      requiresAuthorization: true,
      defaultCadence: { every: '1h' },
      resetsCheckpoint: ['listId'],
    },
    {
      id: 'audience',
      title: 'Sync audience',
      direction: 'export',
      description:
        'Subscribes the people of a Sluice audience to a Mailchimp audience with their merge fields and tags, and unsubscribes or archives those who leave it.',
      config: audienceConfig,
      requiresAuthorization: true,
      defaultCadence: { after: 'upstream' },
      // Another Mailchimp audience has none of the people sent to this one.
      resetsCheckpoint: ['listId'],
      identifier: 'email',
      batchSize: BATCH_LIMIT,
    },
  ],
})
