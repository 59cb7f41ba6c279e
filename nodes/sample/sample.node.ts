import { z } from 'zod'
import { defineProvider } from '../define.ts'

/** Config of the `events` job: who the fake shop's customers are and how fast they act. */
export const sampleEventsConfig = z.strictObject({
  seed: z.int().default(42).meta({
    title: 'Seed',
    description:
      'The same seed always produces the same customers and events; change it for a different data set.',
  }),
  customers: z.int().min(1).max(1_000_000).default(1000).meta({
    title: 'Customers',
    description:
      'Size of the customer pool events are drawn from; a smaller pool means more repeat visitors.',
  }),
  eventsPerRun: z.int().min(1).max(1_000_000).default(500).meta({
    title: 'Events per run',
    description: 'How many events each run emits: with the cadence, this sets the rate.',
  }),
  batchSize: z.int().min(1).max(10_000).default(250).meta({
    title: 'Batch size',
    description: 'Events committed per batch; each batch records a checkpoint.',
  }),
})

export type SampleEventsConfig = z.infer<typeof sampleEventsConfig>

const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><ellipse cx="12" cy="5" rx="8" ry="3"/><path d="M4 5v6c0 1.7 3.6 3 8 3s8-1.3 8-3V5"/><path d="M4 11v6c0 1.7 3.6 3 8 3"/><path d="M17 15l2 2 3-4"/></svg>`

/**
 * A source of realistic, reproducible customer events (sign-ups, page views, carts, purchases,
 * email engagement) for trying pipelines without connecting a real system.
 */
export const sample = defineProvider({
  id: 'sample',
  title: 'Sample data',
  category: 'source',
  icon: ICON,
  description:
    'Generates realistic customer events for a fictional online shop: the same seed always gives the same data, so pipelines can be tried and tested without a real system.',
  auth: [{ id: 'none', title: 'No authorization', schema: z.strictObject({}) }],
  jobTypes: [
    {
      id: 'events',
      title: 'Customer events',
      direction: 'import',
      description:
        'Each run emits the next events of an endless, deterministic stream: identities recur across events, so profiles unify.',
      config: sampleEventsConfig,
      requiresAuthorization: false,
      defaultCadence: { every: '15m' },
      // Another seed or pool is another data set: continuing the old offset would mix the two.
      resetsCheckpoint: ['seed', 'customers'],
    },
  ],
})
