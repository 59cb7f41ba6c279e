import { setTimeout as sleep } from 'node:timers/promises'
import { z } from 'zod'
import { jobConnector, registerConnector } from '../../nodes/connectors.ts'
import {
  type ConnectorContext,
  ConnectorError,
  defineConnector,
  defineProvider,
  type ReadBatch,
  type ReadOptions,
} from '../../nodes/define.ts'
import type { JobNode } from '../../nodes/pipeline.ts'

/**
 * A test-only source the executor's tests script: each run (attempt) follows the next step of
 * `steps` — succeed, fail transiently, rate-limit with a Retry-After, fail auth or config, or hang
 * past its lease and then, ignoring its abort signal, emit a batch anyway (fencing must refuse
 * it). Records are numbered people, one distinct email each, so every record is one profile and
 * losses or duplicates show in plain counts. Never registered by Sluice itself.
 */
export const STEPS = ['ok', 'transient', 'rate_limited', 'auth', 'config', 'hang'] as const
export type Step = (typeof STEPS)[number]

export const scriptedConfig = z.strictObject({
  /** Run n follows steps[n], the last step repeating. */
  steps: z.array(z.enum(STEPS)).min(1).default(['ok']),
  /** Records each run reads. */
  records: z.int().min(0).default(10),
  batchSize: z.int().min(1).default(5),
  /** A finite source: done once this many records are read, ever. */
  total: z.int().min(1).optional(),
  /** A failing or hanging step first emits this many batches. */
  batchesBeforeStep: z.int().min(0).default(0),
  retryAfterSeconds: z.int().min(1).default(120),
  /** Real time between batches, so real-process tests can act while a run is under way. */
  batchDelayMs: z.int().min(0).default(0),
  /** A hang ends at abort or after this long, whichever comes first. */
  hangMs: z.int().min(0).default(60_000),
})
export type ScriptedConfig = z.infer<typeof scriptedConfig>

const checkpointSchema = z.strictObject({ offset: z.int().min(0) }).nullable()

export const scripted = defineProvider({
  id: 'scripted',
  title: 'Scripted test source',
  category: 'source',
  icon: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="9"/></svg>',
  description: 'A source the executor tests script run by run.',
  auth: [{ id: 'none', title: 'No authorization', schema: z.strictObject({}) }],
  // Per authorization, like a SaaS key: two units at once, 10 requests (batches) a second.
  budget: { concurrency: 2, requests: { count: 10, perMs: 1000 } },
  jobTypes: [
    {
      id: 'people',
      title: 'Numbered people',
      direction: 'import',
      description: 'Records person<n>@scripted.example, n counting up across runs.',
      config: scriptedConfig,
      requiresAuthorization: false,
      defaultCadence: { every: '1h' },
      resetsCheckpoint: [],
    },
  ],
})

/** Attempts per job in this process: which step a run follows. */
const attempts = new Map<string, number>()

export const personEmail = (index: number) => `person${index}@scripted.example`

async function* read(
  ctx: ConnectorContext<ScriptedConfig>,
  options: ReadOptions,
): AsyncGenerator<ReadBatch<{ offset: number }>> {
  const config = scriptedConfig.parse(ctx.config)
  const attempt = attempts.get(ctx.jobId ?? '') ?? 0
  attempts.set(ctx.jobId ?? '', attempt + 1)
  const step = config.steps[Math.min(attempt, config.steps.length - 1)]!
  let offset = checkpointSchema.parse(options.checkpoint)?.offset ?? 0
  const end = Math.min(offset + config.records, config.total ?? Number.MAX_SAFE_INTEGER)
  const batch = (): ReadBatch<{ offset: number }> => {
    const stop = Math.min(offset + config.batchSize, end)
    const records = []
    for (let index = offset; index < stop; index++) {
      records.push({
        key: `r${index}`,
        eventTime: ctx.now().toISOString(),
        data: { email: personEmail(index), index, pid: process.pid },
      })
    }
    offset = stop
    return { records, checkpoint: { offset }, done: config.total !== undefined && offset >= config.total }
  }
  if (step !== 'ok') {
    for (let emitted = 0; emitted < config.batchesBeforeStep && offset < end; emitted++) yield batch()
    if (step === 'hang') {
      await Promise.race([
        sleep(config.hangMs, undefined, { ref: false }),
        new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true })),
      ])
      // A badly behaved connector: it carries on after the abort. Fencing must stop the commit.
      yield batch()
      return
    }
    if (step === 'rate_limited') {
      throw new ConnectorError('rate_limited', 'HTTP 429 Too Many Requests', {
        retryAt: new Date(ctx.now().getTime() + config.retryAfterSeconds * 1000),
        code: '429',
      })
    }
    if (step === 'auth')
      throw new ConnectorError('auth', 'HTTP 401: the API key was refused', { code: '401' })
    if (step === 'config') throw new ConnectorError('config', 'the list "x" does not exist')
    throw new ConnectorError('transient', 'HTTP 503 Service Unavailable', { code: '503' })
  }
  while (offset < end) {
    if (config.batchDelayMs > 0) await sleep(config.batchDelayMs)
    // Each batch is one request to the provider, within its authorization's budget.
    await ctx.throttle?.()
    yield batch()
  }
}

/** Registers the scripted source in this process; safe to call more than once. */
export function registerScriptedSource(): void {
  if (jobConnector('scripted', 'people')) return
  registerConnector(
    defineConnector(scripted, {
      check: async () => ({ ok: true, message: 'scripted: nothing to check' }),
      jobs: { people: { direction: 'import', read } },
    }),
  )
}

/** A canvas node of the scripted source. */
export const scriptedSource = (
  id: string,
  config: Partial<ScriptedConfig>,
  cadence: JobNode['data']['cadence'] = { every: '1h' },
): JobNode => ({
  id,
  kind: 'source',
  provider: 'scripted',
  jobType: 'people',
  name: `Scripted ${id}`,
  position: { x: 0, y: 0 },
  data: { config, cadence },
})
