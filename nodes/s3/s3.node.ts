import { z } from 'zod'
import { defineProvider, SECRET } from '../define.ts'
import { fileReadFields, fileWriteFields } from '../file-fields.ts'

/** Bucket naming rules (S3's, relaxed for S3-compatible stores): 3–63 of a–z, 0–9, `.` and `-`. */
const bucket = z
  .string()
  .trim()
  .regex(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    'a bucket name: 3 to 63 lower-case letters, digits, "." or "-"',
  )
  .meta({ title: 'Bucket', description: 'The bucket’s name, e.g. acme-exports', placeholder: 'acme-exports' })

/** A key prefix: a "folder" in the bucket, without a leading slash. */
const prefix = z
  .string()
  .trim()
  .max(512)
  .refine((text) => !text.startsWith('/'), 'a prefix starts without "/", e.g. crm/daily/')
  .refine((text) => !text.split('/').includes('..'), 'a prefix must not contain ".." segments')
  .default('')

export const s3Credentials = z.strictObject({
  accessKeyId: z.string().trim().min(1, 'enter the access key id').max(256).meta({
    title: 'Access key id',
    description:
      'An IAM access key with s3:ListBucket and s3:GetObject (sources) or s3:PutObject (destinations)',
    placeholder: 'AKIA…',
  }),
  secretAccessKey: z
    .string()
    .min(1, 'enter the secret access key')
    .max(1024)
    .meta({ ...SECRET, title: 'Secret access key', description: 'Stored encrypted in the Vault' }),
  region: z
    .string()
    .trim()
    .regex(/^[a-z0-9-]{2,32}$/, 'a region such as us-east-1 or eu-west-1')
    .default('us-east-1')
    .meta({
      title: 'Region',
      description: 'Where the bucket lives, e.g. eu-west-1',
      placeholder: 'us-east-1',
    }),
  endpoint: z
    .union([
      z.literal(''),
      z.url({ protocol: /^https?$/, error: 'an http(s) URL such as https://s3.example.com' }),
    ])
    .default('')
    .meta({
      title: 'Endpoint',
      description: 'For S3-compatible stores (MinIO, R2, Wasabi…): their URL. Leave empty for Amazon S3.',
      placeholder: 'https://s3.example.com',
    }),
  pathStyle: z.boolean().default(false).meta({
    title: 'Path-style addressing',
    description:
      'Address buckets as endpoint/bucket instead of bucket.endpoint (most S3-compatible stores need it)',
  }),
})
export type S3Credentials = z.infer<typeof s3Credentials>

export const s3SourceConfig = z.strictObject({
  bucket,
  prefix: prefix.meta({
    title: 'Prefix',
    description:
      'Read only keys under this prefix (a folder such as crm/daily/); empty reads the whole bucket',
    placeholder: 'crm/daily/',
  }),
  ...fileReadFields,
})
export type S3SourceConfig = z.infer<typeof s3SourceConfig>

export const s3DestinationConfig = z.strictObject({
  bucket,
  prefix: prefix.meta({
    title: 'Prefix',
    description: 'The folder the files go to, e.g. exports/crm/; empty writes at the top of the bucket',
    placeholder: 'exports/',
  }),
  ...fileWriteFields,
})
export type S3DestinationConfig = z.infer<typeof s3DestinationConfig>

const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M4 6c0-1.7 3.6-3 8-3s8 1.3 8 3l-2 13c-.3 1.2-2.8 2-6 2s-5.7-.8-6-2z"/><path d="M4 6c0 1.7 3.6 3 8 3s8-1.3 8-3"/></svg>`

/** Amazon S3 and S3-compatible buckets: files in, files out. */
export const s3 = defineProvider({
  id: 's3',
  title: 'Amazon S3',
  category: 'source',
  icon: ICON,
  description:
    'Reads CSV, JSON and JSON-lines files (gzipped or not) from a bucket as they land; writes each export run to a CSV or JSON Lines file.',
  auth: [{ id: 'apikey', title: 'Access key', schema: s3Credentials }],
  jobTypes: [
    {
      id: 'files',
      title: 'Import files',
      direction: 'import',
      description:
        'Each run reads the files that are new or changed since the last one, in the order they changed; with a one-time cadence it backfills once and completes.',
      config: s3SourceConfig,
      requiresAuthorization: true,
      defaultCadence: { every: '1h' },
      resetsCheckpoint: ['bucket', 'prefix', 'glob'],
    },
    {
      id: 'file',
      title: 'Export to files',
      direction: 'export',
      description:
        'Each run writes the changes since the previous run to a new file in the bucket, which appears only once complete.',
      config: s3DestinationConfig,
      requiresAuthorization: true,
      defaultCadence: { after: 'upstream' },
      // A file per run is a change log: a new place or format starts again with a full export.
      resetsCheckpoint: ['bucket', 'prefix', 'format'],
      identifier: 'email',
      batchSize: 5000,
    },
  ],
})
