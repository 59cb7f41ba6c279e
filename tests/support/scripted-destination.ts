import { z } from 'zod'
import { jobConnector, registerConnector } from '../../nodes/connectors.ts'
import {
  type ConnectorContext,
  ConnectorError,
  defineConnector,
  defineProvider,
  type ExportBatch,
  type WriteAck,
} from '../../nodes/define.ts'
import type { JobNode } from '../../nodes/pipeline.ts'

/**
 * A test-only destination that remembers every batch it is sent, keyed by email in batches of
 * two. It can fail right after receiving a batch (delivered, never acknowledged: a crash between
 * delivery and acknowledgement) and reject chosen people. Never registered by Sluice itself.
 */
export const recorderConfig = z.strictObject({
  /** Throw after receiving this many batches in one run, before acknowledging the last. */
  failAfterBatches: z.int().min(1).optional(),
  /** Return quietly after receiving this many batches, the last unacknowledged (as on an abort). */
  quitAfterBatches: z.int().min(1).optional(),
  /** Return quietly after acknowledging this many batches, asking for no more. */
  stopAfterAcks: z.int().min(1).optional(),
  /** Identifiers the destination refuses (counted omitted). */
  reject: z.array(z.string()).default([]),
})
export type RecorderConfig = z.infer<typeof recorderConfig>

export const recorder = defineProvider({
  id: 'recorder',
  title: 'Recording test destination',
  category: 'destination',
  icon: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect x="4" y="4" width="16" height="16"/></svg>',
  description: 'Remembers what it is sent.',
  auth: [{ id: 'none', title: 'No authorization', schema: z.strictObject({}) }],
  jobTypes: [
    {
      id: 'people',
      title: 'People',
      direction: 'export',
      description: 'Keyed by email.',
      config: recorderConfig,
      requiresAuthorization: false,
      defaultCadence: { every: '1h' },
      resetsCheckpoint: [],
      identifier: 'email',
      batchSize: 2,
    },
  ],
})

/** Every batch each job was sent, in order (delivered or not). */
export const received = new Map<string, ExportBatch[]>()

async function* write(
  ctx: ConnectorContext<RecorderConfig>,
  batches: AsyncIterable<ExportBatch>,
): AsyncGenerator<WriteAck> {
  const config = recorderConfig.parse(ctx.config)
  const log = received.get(ctx.jobId ?? '') ?? []
  received.set(ctx.jobId ?? '', log)
  let count = 0
  for await (const batch of batches) {
    log.push(structuredClone(batch))
    count++
    if (config.failAfterBatches !== undefined && count >= config.failAfterBatches)
      throw new ConnectorError('transient', 'HTTP 502 Bad Gateway after the batch went out', { code: '502' })
    if (config.quitAfterBatches !== undefined && count >= config.quitAfterBatches) return
    const refused = new Set(config.reject)
    yield {
      delivered: batch.upserts.map((row) => row.id).filter((id) => !refused.has(id)),
      removed: batch.removes.map((row) => row.id),
      rejected: batch.upserts
        .filter((row) => refused.has(row.id))
        .map((row) => ({ id: row.id, reason: 'refused' })),
    }
    if (config.stopAfterAcks !== undefined && count >= config.stopAfterAcks) return
  }
}

export function registerRecorder(): void {
  if (jobConnector('recorder', 'people')) return
  registerConnector(
    defineConnector(recorder, {
      check: async () => ({ ok: true, message: 'recorder: nothing to check' }),
      jobs: { people: { direction: 'export', write } },
    }),
  )
}

export const recorderDestination = (id: string, config: Partial<RecorderConfig> = {}): JobNode => ({
  id,
  kind: 'destination',
  provider: 'recorder',
  jobType: 'people',
  name: `Recorder ${id}`,
  position: { x: 0, y: 0 },
  data: { config, cadence: { every: '1h' } },
})
