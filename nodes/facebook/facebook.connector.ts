import { z } from 'zod'
import {
  type ConnectorContext,
  defineConnector,
  type ExportBatch,
  parseConfig,
  type WriteAck,
} from '../define.ts'
import {
  keyIdentifiers,
  metaPhone,
  type PersonIdentifiers,
  parseHashedConfig,
  personIdentifiers,
  sha256Hex,
  usableRows,
} from '../hashed-identifiers.ts'
import { credentialsOf, graph } from './facebook.client.ts'
import {
  type AudienceConfig,
  audienceConfig,
  type FacebookCredentials,
  facebookAudiences,
} from './facebook.node.ts'

/** One person as a row of the multi-key payload: the hashed keys Meta matches on. */
interface Row {
  id: string
  EMAIL: string
  PHONE: string
}

const KEYS = ['EMAIL', 'PHONE'] as const

/** A normalised person as Meta hashes it: EMAIL as normalised, PHONE as digits with the country code. */
function rowOf(id: string, person: PersonIdentifiers): Row | { id: string; reason: string } {
  if (person.reason !== undefined) return { id, reason: person.reason }
  return {
    id,
    EMAIL: person.email === null ? '' : sha256Hex(person.email),
    PHONE: person.phone === null ? '' : sha256Hex(metaPhone(person.phone)),
  }
}

/**
 * Adds (POST) or removes (DELETE) people through `/{audience_id}/users` in requests of at most
 * `batchSize` (Meta's limit is 10,000). The payload is multi-key: `schema` lists the keys the
 * request carries (EMAIL, PHONE, or both) and each `data` row has one hash per key, "" for a key
 * the person lacks. False when the run was stopped (lease lost, paused) before the last request.
 */
async function send(
  ctx: ConnectorContext<AudienceConfig>,
  config: AudienceConfig,
  credentials: FacebookCredentials,
  method: 'POST' | 'DELETE',
  rows: Row[],
): Promise<boolean> {
  for (let start = 0; start < rows.length; start += config.batchSize) {
    if (ctx.signal.aborted) return false
    const chunk = rows.slice(start, start + config.batchSize)
    const schema = KEYS.filter((key) => chunk.some((row) => row[key]))
    const payload = JSON.stringify({ schema, data: chunk.map((row) => schema.map((key) => row[key])) })
    await graph(ctx, credentials, method, `${config.audienceId}/users`, { payload })
  }
  return true
}

const parse = (ctx: ConnectorContext<AudienceConfig>): AudienceConfig =>
  parseHashedConfig(audienceConfig, ctx.config, 'Facebook custom audience')

/**
 * Each batch's adds go out first, then its removes; the acknowledgement follows once Meta took
 * every request of it. People without a usable email or phone are rejected with the reason. A
 * remove can only name the key the export delivered the person under (their email, or their
 * phone when the mapping keys people by it), so it carries that one hash.
 */
async function* write(
  ctx: ConnectorContext<AudienceConfig>,
  batches: AsyncIterable<ExportBatch>,
): AsyncGenerator<WriteAck> {
  const config = parse(ctx)
  const credentials = credentialsOf(ctx.credentials)
  for await (const batch of batches) {
    const rejected: WriteAck['rejected'] = []
    const adds = usableRows(
      batch.upserts.map((row) => rowOf(row.id, personIdentifiers(row.fields, config))),
      rejected,
    )
    const removes = usableRows(
      batch.removes.map((row) => rowOf(row.id, keyIdentifiers(row.id, config.defaultCountry))),
      rejected,
    )
    if (!(await send(ctx, config, credentials, 'POST', adds))) return
    if (!(await send(ctx, config, credentials, 'DELETE', removes))) return
    yield { delivered: adds.map((row) => row.id), removed: removes.map((row) => row.id), rejected }
  }
}

const audienceAnswer = z.looseObject({ id: z.string(), name: z.string().optional() })
const meAnswer = z.looseObject({ id: z.string(), name: z.string().optional() })

export default defineConnector(facebookAudiences, {
  async check(ctx) {
    try {
      const credentials = credentialsOf(ctx.credentials)
      if (!ctx.config) {
        const me = meAnswer.parse(await graph(ctx, credentials, 'GET', 'me', { fields: 'id,name' }))
        return { ok: true, message: `the token works (${me.name ?? me.id}); add the audience ID to check it` }
      }
      const config = parseConfig(audienceConfig, ctx.config, 'Facebook custom audience')
      const audience = audienceAnswer.parse(
        await graph(ctx, credentials, 'GET', config.audienceId, { fields: 'id,name' }),
      )
      return {
        ok: true,
        message: `custom audience "${audience.name ?? audience.id}" can be updated with this token`,
      }
    } catch (error) {
      return { ok: false, message: (error as Error).message }
    }
  },
  jobs: { audience: { direction: 'export', write } },
})
