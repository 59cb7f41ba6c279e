import { z } from 'zod'
import { defineProvider, SECRET } from '../define.ts'

/** Headers Sluice sets itself, or that would let a config smuggle credentials past the Vault. */
export const RESERVED_HEADERS = [
  'authorization',
  'content-type',
  'content-length',
  'host',
  'idempotency-key',
  'x-sluice-signature',
  'x-sluice-delivery',
]

export const webhookConfig = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, error: 'an http:// or https:// URL' })
    .max(2000)
    .meta({
      title: 'URL',
      description: 'Where each batch is POSTed as JSON',
      placeholder: 'https://example.com/hooks/sluice',
    }),
  batchSize: z.int().min(1).max(1000).default(100).meta({
    title: 'Batch size',
    description: 'People per request (1–1,000)',
  }),
  headers: z
    .record(z.string(), z.string().max(2000))
    .default({})
    .superRefine((headers, ctx) => {
      const names = Object.keys(headers)
      if (names.length > 20) ctx.addIssue({ code: 'custom', message: 'at most 20 headers' })
      for (const name of names) {
        if (!/^[A-Za-z0-9-]{1,100}$/.test(name))
          ctx.addIssue({ code: 'custom', path: [name], message: 'a header name: letters, digits and "-"' })
        else if (RESERVED_HEADERS.includes(name.toLowerCase()))
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: 'Sluice sets this header itself; put credentials in the authorization',
          })
      }
    })
    .meta({
      title: 'Extra headers',
      description: 'Sent with every request; not secret (the signing secret is in the Vault)',
    }),
})
export type WebhookConfig = z.infer<typeof webhookConfig>

const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M18 16.98h-5.99c-1.1 0-1.95.94-2.48 1.9A4 4 0 0 1 2 17c.01-.7.2-1.4.57-2"/><path d="m6 17 3.13-5.78c.53-.97.1-2.18-.5-3.1a4 4 0 1 1 6.89-4.06"/><path d="m12 6 3.13 5.73C15.66 12.7 16.9 13 18 13a4 4 0 0 1 0 8"/></svg>`

/** POSTs audience changes as signed JSON batches to any HTTP endpoint. */
export const webhook = defineProvider({
  id: 'webhook',
  title: 'Webhook',
  category: 'destination',
  icon: ICON,
  description:
    'POSTs profiles that join or leave an audience to your endpoint as JSON batches, signed with HMAC-SHA256, each with an idempotency key.',
  auth: [
    {
      id: 'apikey',
      title: 'Signing secret',
      schema: z.strictObject({
        signingSecret: z
          .string()
          .min(16)
          .max(500)
          .meta({
            ...SECRET,
            title: 'Signing secret',
            description:
              'Signs each request: X-Sluice-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">',
          }),
      }),
    },
  ],
  jobTypes: [
    {
      id: 'batches',
      title: 'Send batches',
      direction: 'export',
      description: 'Each run POSTs the changes since the previous run: upserts and removes, in batches.',
      config: webhookConfig,
      requiresAuthorization: true,
      defaultCadence: { after: 'upstream' },
      // A new endpoint has none of what the old one was sent.
      resetsCheckpoint: ['url'],
      identifier: 'email',
      batchSize: 1000,
    },
  ],
})
