import { setImmediate as nextTurn } from 'node:timers/promises'
import { z } from 'zod'
import {
  type ConnectorContext,
  ConnectorError,
  defineConnector,
  type ReadBatch,
  type ReadOptions,
  type SourceRecord,
} from '../define.ts'
import { SampleStream } from './sample.events.ts'
import { type SampleEventsConfig, sample, sampleEventsConfig } from './sample.node.ts'

/** Where the next run continues: the index of the next event in the stream. */
const checkpointSchema = z.strictObject({ offset: z.int().min(0) })
export type SampleCheckpoint = z.infer<typeof checkpointSchema>

/** Events built between two turns of the event loop. */
const SLICE = 1000

/**
 * Emits the next `eventsPerRun` events of the seed's stream in batches of `batchSize`, each with the
 * offset to continue from. Touches nothing outside the process, so previews are free of effects.
 */
async function* read(
  ctx: ConnectorContext<SampleEventsConfig>,
  options: ReadOptions,
): AsyncGenerator<ReadBatch<SampleCheckpoint>> {
  const parsed = sampleEventsConfig.safeParse(ctx.config)
  if (!parsed.success) {
    throw new ConnectorError('config', `invalid sample config: ${z.prettifyError(parsed.error)}`)
  }
  const config = parsed.data
  const checkpoint = checkpointSchema.nullable().safeParse(options.checkpoint)
  if (!checkpoint.success) {
    throw new ConnectorError('config', `unreadable sample checkpoint ${JSON.stringify(options.checkpoint)}`, {
      cause: checkpoint.error,
    })
  }
  const stream = new SampleStream(config)
  let offset = checkpoint.data?.offset ?? 0

  if (options.preview) {
    const count = Math.min(Math.max(0, Math.floor(options.preview.limit)), config.eventsPerRun)
    if (count > 0 && !ctx.signal.aborted) {
      yield { records: stream.records(offset, count), checkpoint: { offset: offset + count } }
    }
    return
  }

  const end = offset + config.eventsPerRun
  while (offset < end) {
    if (ctx.signal.aborted) return
    const count = Math.min(config.batchSize, end - offset)
    const records: SourceRecord[] = []
    for (let done = 0; done < count; done += SLICE) {
      // A 10 000-event batch takes ~50 ms to build: give the event loop turns (realtime traffic) meanwhile.
      if (done > 0) await nextTurn()
      records.push(...stream.records(offset + done, Math.min(SLICE, count - done)))
    }
    offset += count
    yield { records, checkpoint: { offset } }
  }
}

export default defineConnector(sample, {
  async check() {
    return { ok: true, message: 'Sample data needs no connection: it is generated inside Sluice.' }
  },
  jobs: { events: { direction: 'import', read } },
})
