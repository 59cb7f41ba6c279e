import { z } from 'zod'
import { defineProvider } from '../define.ts'

/**
 * A stream name: an identifier that also reads well in a URL and in `enrichment.<job>`.
 * Letters, digits, `_`, `-` and `.`, starting with a letter or `_`.
 */
export const streamNameSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'must start with a letter or "_" and hold only letters, digits, _ - .')

export const collectStreamConfig = z.strictObject({
  stream: streamNameSchema.default('default').meta({
    title: 'Stream',
    description:
      'Where senders push: POST /collect/json/<stream>, /collect/bulk/<stream>, or /v1/* with a data key bound to it.',
  }),
})

export type CollectStreamConfig = z.infer<typeof collectStreamConfig>

const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M12 3v12"/><path d="M7 10l5 5 5-5"/><path d="M4 17v2a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-2"/></svg>`

/**
 * Data pushed to Sluice (Lytics' collect API, Segment-spec /v1/*) as a source node: its mapping
 * shapes the stream's profiles, and pausing it holds unification (raw messages are still stored).
 */
export const collect = defineProvider({
  id: 'collect',
  title: 'Collect API',
  category: 'source',
  icon: ICON,
  description:
    'Receives events and uploads pushed to Sluice with a data key: realtime JSON, bulk CSV/JSON files and Segment or RudderStack SDKs.',
  auth: [{ id: 'none', title: 'No authorization', schema: z.strictObject({}) }],
  jobTypes: [
    {
      id: 'stream',
      title: 'Collected stream',
      direction: 'import',
      description:
        'Unifies everything sent to one stream into profiles, live; paused, it keeps storing and unifies on resume.',
      config: collectStreamConfig,
      requiresAuthorization: false,
      defaultCadence: 'realtime',
      // Another stream is other data: the mapping applies from now on, nothing to restart.
      resetsCheckpoint: [],
    },
  ],
})
