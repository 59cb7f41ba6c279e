import {
  type ConnectorContext,
  ConnectorError,
  type ExportBatch,
  parseConfig,
  type WriteAck,
} from '../define.ts'
import { type HubSpotClient, type HubSpotError, hubspotClient, said } from './hubspot.client.ts'
import { BATCH_LIMIT, type ContactsExportConfig, contactsExportConfig } from './hubspot.node.ts'

/**
 * Sending an audience: people in it are upserted by email with their mapped properties and the
 * audience property ticked (`POST /crm/v3/objects/contacts/batch/upsert`); people who leave it
 * are updated by email with it unticked (`POST /crm/v3/objects/contacts/batch/update`), which
 * never creates a contact and is undone by their coming back. At most 100 inputs per request.
 * https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/batch/upsert-contacts
 * https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/batch/update-contacts
 */

interface Input {
  id: string
  idProperty: 'email'
  properties: Record<string, string>
}

/** HubSpot takes property values as text: numbers and booleans as written, multiple choices joined by `;`. */
function textOf(value: unknown): string | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (Array.isArray(value)) return value.map((item) => textOf(item) ?? '').join(';')
  return JSON.stringify(value)
}

function propertiesOf(fields: Record<string, unknown>): Record<string, string> {
  const properties: Record<string, string> = {}
  for (const [name, value] of Object.entries(fields)) {
    const text = textOf(value)
    if (text !== null) properties[name] = text
  }
  return properties
}

/** One entry of the list HubSpot embeds in a validation message ("Property values were not valid: [...]"). */
interface Invalid {
  name?: string
  error?: string
  message?: string
}

function invalidOf(error: HubSpotError): Invalid[] {
  const found: Invalid[] = []
  const read = (text: string | undefined) => {
    const start = text?.indexOf('[') ?? -1
    if (!text || start < 0) return
    try {
      const list = JSON.parse(text.slice(start)) as unknown
      if (Array.isArray(list))
        found.push(...list.filter((item): item is Invalid => typeof item === 'object' && item !== null))
    } catch {
      // Not the embedded list: the message alone is the reason.
    }
  }
  read(error.message)
  for (const detail of error.errors ?? []) read(detail.message)
  return found
}

/** Errors no row of the batch can fix, however it is split: the configuration or mapping must change. */
function configProblem(error: HubSpotError, audienceProperty: string): ConnectorError | null {
  for (const invalid of invalidOf(error)) {
    if (invalid.error === 'PROPERTY_DOESNT_EXIST' && invalid.name) {
      const fix =
        invalid.name === audienceProperty
          ? 'create it in HubSpot as a single checkbox contact property'
          : "create it in HubSpot or map that attribute to an existing contact property's internal name"
      return new ConnectorError('config', `HubSpot has no contact property "${invalid.name}": ${fix}`, {
        code: 'PROPERTY_DOESNT_EXIST',
      })
    }
    if (invalid.error === 'READ_ONLY_VALUE' && invalid.name)
      return new ConnectorError(
        'config',
        `the HubSpot contact property "${invalid.name}" is read-only: leave it out of the mapping`,
        {
          code: 'READ_ONLY_VALUE',
        },
      )
    // Every input carries the same true or false in it: no person is to blame, its type is.
    if (invalid.name === audienceProperty && invalid.error)
      return new ConnectorError(
        'config',
        `HubSpot refuses true and false in the audience property "${audienceProperty}" (${invalid.error}): make it a single checkbox contact property`,
        { code: invalid.error },
      )
  }
  return null
}

/**
 * Sends one request of inputs. HubSpot refuses a whole batch (400) for one bad value, without
 * saying which input: a refused batch is halved until the people it refuses are alone, and those
 * are rejected with HubSpot's reason while the others go through. A missing property refuses
 * every batch alike and stops the run as a config error naming it.
 */
async function send(
  client: HubSpotClient,
  path: string,
  inputs: Input[],
  audienceProperty: string,
): Promise<WriteAck['rejected']> {
  if (inputs.length === 0) return []
  const answer = await client.call('POST', path, { inputs }, { accept400: true })
  const body = (answer.body ?? {}) as HubSpotError
  if (answer.status === 400) {
    const problem = configProblem(body, audienceProperty)
    if (problem) throw problem
    if (inputs.length === 1) return [{ id: inputs[0]!.id, reason: `HubSpot: ${said(body)}` }]
    const half = Math.ceil(inputs.length / 2)
    // One half after the other: a refused batch should not burst the account's rate limit.
    const first = await send(client, path, inputs.slice(0, half), audienceProperty)
    return [...first, ...(await send(client, path, inputs.slice(half), audienceProperty))]
  }
  // 207: the batch went through except for the inputs its errors name. A contact an update did
  // not find (deleted in HubSpot meanwhile) is out of the audience there too: not a reject.
  const rejected: WriteAck['rejected'] = []
  for (const error of body.errors ?? []) {
    if (error.category === 'OBJECT_NOT_FOUND') continue
    const ids = error.context?.ids
    for (const id of Array.isArray(ids) ? ids.map(String) : [])
      rejected.push({ id, reason: `HubSpot: ${said(error)}` })
  }
  return rejected
}

export async function* writeAudience(
  ctx: ConnectorContext<ContactsExportConfig>,
  batches: AsyncIterable<ExportBatch>,
): AsyncGenerator<WriteAck> {
  const config = parseConfig(contactsExportConfig, ctx.config, 'HubSpot audience')
  const client = hubspotClient(ctx)
  const property = config.audienceProperty
  for await (const batch of batches) {
    const rejected: WriteAck['rejected'] = []
    const upserts: Input[] = batch.upserts.map((row) => ({
      id: row.id,
      idProperty: 'email',
      properties: { ...propertiesOf(row.fields), [property]: 'true' },
    }))
    const removes: Input[] = batch.removes.map((row) => ({
      id: row.id,
      idProperty: 'email',
      properties: { [property]: 'false' },
    }))
    for (let start = 0; start < upserts.length; start += BATCH_LIMIT) {
      if (ctx.signal.aborted) return
      const chunk = upserts.slice(start, start + BATCH_LIMIT)
      rejected.push(...(await send(client, '/crm/v3/objects/contacts/batch/upsert', chunk, property)))
    }
    for (let start = 0; start < removes.length; start += BATCH_LIMIT) {
      if (ctx.signal.aborted) return
      const chunk = removes.slice(start, start + BATCH_LIMIT)
      rejected.push(...(await send(client, '/crm/v3/objects/contacts/batch/update', chunk, property)))
    }
    const refused = new Set(rejected.map((row) => row.id))
    yield {
      delivered: batch.upserts.map((row) => row.id).filter((id) => !refused.has(id)),
      removed: batch.removes.map((row) => row.id).filter((id) => !refused.has(id)),
      rejected,
    }
  }
}
