import { z } from 'zod'
import {
  type ConnectorContext,
  ConnectorError,
  defineConnector,
  type ExportBatch,
  parseConfig,
  type WriteAck,
} from '../define.ts'
import {
  keyIdentifiers,
  type PersonIdentifiers,
  parseHashedConfig,
  personIdentifiers,
  sha256Hex,
  usableRows,
} from '../hashed-identifiers.ts'
import { type AdsClient, adsClient, codeOf, failuresOf, rpcStatus } from './google-ads.client.ts'
import { type CustomerMatchConfig, customerMatchConfig, googleAds } from './google-ads.node.ts'

/**
 * Polls of a running job's long-running operation before the batch is acknowledged anyway:
 * Google processes Customer Match uploads asynchronously and a job it accepted keeps running
 * there. The first poll is immediate; then waits double from 1 s (capped at 30 s): about a
 * minute in all, on Sluice's clock (tests' clocks pass it at once).
 */
const POLLS = 7
const pollWaitMs = (attempt: number) => (attempt === 0 ? 0 : Math.min(1000 * 2 ** (attempt - 1), 30_000))

/** One person as a job operation carries them: their hashed identifiers. */
interface Person {
  id: string
  userIdentifiers: ({ hashedEmail: string } | { hashedPhoneNumber: string })[]
}

function personOf(id: string, identifiers: PersonIdentifiers): Person | { id: string; reason: string } {
  if (identifiers.reason !== undefined) return { id, reason: identifiers.reason }
  return {
    id,
    userIdentifiers: [
      ...(identifiers.email === null ? [] : [{ hashedEmail: sha256Hex(identifiers.email) }]),
      ...(identifiers.phone === null ? [] : [{ hashedPhoneNumber: sha256Hex(identifiers.phone) }]),
    ],
  }
}

const digits = (id: string) => id.replace(/-/g, '')
const created = z.looseObject({ resourceName: z.string().min(1) })
const added = z.looseObject({ partialFailureError: rpcStatus.optional() })
const operation = z.looseObject({
  name: z.string().min(1),
  done: z.boolean().optional(),
  error: rpcStatus.optional(),
})

/** What a finished job's error means: Google's transient codes are retried, the rest need a fix. */
function jobFailed(job: string, error: z.infer<typeof rpcStatus>): ConnectorError {
  const errors = failuresOf(error)
  const said = errors.length
    ? errors.map((one) => `${codeOf(one)} (${one.message ?? ''})`).join('; ')
    : error.message
  const message = `Google Ads could not process upload job ${job}: ${said ?? 'no reason given'}`
  // google.rpc.Code: 4 DEADLINE_EXCEEDED, 10 ABORTED, 13 INTERNAL, 14 UNAVAILABLE.
  return [4, 10, 13, 14].includes(error.code ?? 0)
    ? new ConnectorError('transient', message)
    : new ConnectorError('config', `${message}; check the customer list`)
}

/**
 * One offline user data job ("Customer Match: upload"): create it for the list, add the people in
 * requests of `batchSize` operations with partial failure on, run it and poll its operation. The
 * people Google refused, by id with Google's reason; null when the run was stopped on the way.
 */
async function upload(
  ctx: ConnectorContext<CustomerMatchConfig>,
  client: AdsClient,
  config: CustomerMatchConfig,
  action: 'create' | 'remove',
  people: Person[],
): Promise<Map<string, string> | null> {
  const refused = new Map<string, string>()
  if (people.length === 0) return refused
  const customer = digits(config.customerId)
  const consent =
    config.consent === 'granted' ? { consent: { adUserData: 'GRANTED', adPersonalization: 'GRANTED' } } : {}
  const job = created.parse(
    await client.call('POST', `customers/${customer}/offlineUserDataJobs:create`, {
      job: {
        type: 'CUSTOMER_MATCH_USER_LIST',
        customerMatchUserListMetadata: {
          userList: `customers/${customer}/userLists/${config.userListId}`,
          ...consent,
        },
      },
    }),
  ).resourceName
  for (let start = 0; start < people.length; start += config.batchSize) {
    if (ctx.signal.aborted) return null
    const chunk = people.slice(start, start + config.batchSize)
    const answer = added.parse(
      await client.call('POST', `${job}:addOperations`, {
        operations: chunk.map((person) => ({ [action]: { userIdentifiers: person.userIdentifiers } })),
        enablePartialFailure: true,
      }),
    )
    for (const error of answer.partialFailureError ? failuresOf(answer.partialFailureError) : []) {
      const index = error.location?.fieldPathElements?.find(
        (element) => element.fieldName === 'operations',
      )?.index
      const person = index === undefined ? undefined : chunk[index]
      if (person) refused.set(person.id, `Google Ads refused it: ${codeOf(error)} (${error.message ?? ''})`)
    }
  }
  // Nothing left to run when Google refused every operation.
  if (refused.size === people.length) return refused
  let state = operation.parse(await client.call('POST', `${job}:run`, {}))
  for (let attempt = 0; !state.done && attempt < POLLS; attempt++) {
    if (ctx.signal.aborted) return null
    await ctx.sleep(pollWaitMs(attempt)).catch(() => {})
    if (ctx.signal.aborted) return null
    state = operation.parse(await client.call('GET', state.name))
  }
  if (state.done && state.error) throw jobFailed(job, state.error)
  return refused
}

const parse = (ctx: ConnectorContext<CustomerMatchConfig>): CustomerMatchConfig =>
  parseHashedConfig(customerMatchConfig, ctx.config, 'Google Ads customer list')

/**
 * Each batch goes out as one job of adds, then one of removes (Google refuses both in one job:
 * CONFLICTING_OPERATION); its acknowledgement follows once they ran. Emails lose their spaces and
 * case, phones become E.164, both SHA-256 hex. A remove names the key the person was delivered
 * under (their email, or their phone when the mapping keys people by it).
 */
async function* write(
  ctx: ConnectorContext<CustomerMatchConfig>,
  batches: AsyncIterable<ExportBatch>,
): AsyncGenerator<WriteAck> {
  const config = parse(ctx)
  const client = adsClient(ctx, config.loginCustomerId ? digits(config.loginCustomerId) : undefined)
  const google = { removeSpaces: true }
  for await (const batch of batches) {
    const rejected: WriteAck['rejected'] = []
    const adds = usableRows(
      batch.upserts.map((row) => personOf(row.id, personIdentifiers(row.fields, config, google))),
      rejected,
    )
    const removes = usableRows(
      batch.removes.map((row) => personOf(row.id, keyIdentifiers(row.id, config.defaultCountry, google))),
      rejected,
    )
    const addsRefused = await upload(ctx, client, config, 'create', adds)
    if (!addsRefused) return
    const removesRefused = await upload(ctx, client, config, 'remove', removes)
    if (!removesRefused) return
    for (const [id, reason] of [...addsRefused, ...removesRefused]) rejected.push({ id, reason })
    yield {
      delivered: adds.filter((person) => !addsRefused.has(person.id)).map((person) => person.id),
      removed: removes.filter((person) => !removesRefused.has(person.id)).map((person) => person.id),
      rejected,
    }
  }
}

const accessible = z.looseObject({ resourceNames: z.array(z.string()).default([]) })
const found = z.looseObject({
  results: z
    .array(
      z.looseObject({
        userList: z.looseObject({ name: z.string().optional(), type: z.string().optional() }),
      }),
    )
    .default([]),
})

export default defineConnector(googleAds, {
  async check(ctx) {
    try {
      if (!ctx.config) {
        const { resourceNames } = accessible.parse(
          await adsClient(ctx).call('GET', 'customers:listAccessibleCustomers'),
        )
        return {
          ok: true,
          message: `connected: the account reaches ${resourceNames.length} Google Ads customer${resourceNames.length === 1 ? '' : 's'}; add the customer list to check it`,
        }
      }
      const config = parseConfig(customerMatchConfig, ctx.config, 'Google Ads customer list')
      const client = adsClient(ctx, config.loginCustomerId ? digits(config.loginCustomerId) : undefined)
      const { results } = found.parse(
        await client.call('POST', `customers/${digits(config.customerId)}/googleAds:search`, {
          query: `SELECT user_list.id, user_list.name, user_list.type FROM user_list WHERE user_list.id = ${config.userListId}`,
        }),
      )
      const list = results[0]?.userList
      if (!list)
        return { ok: false, message: `customer ${config.customerId} has no list ${config.userListId}` }
      if (list.type !== 'CRM_BASED')
        return {
          ok: false,
          message: `list "${list.name}" is a ${list.type} list; Customer Match uploads go to a customer list (CRM_BASED)`,
        }
      return { ok: true, message: `customer list "${list.name}" can be updated` }
    } catch (error) {
      return { ok: false, message: (error as Error).message }
    }
  },
  jobs: { 'customer-match': { direction: 'export', write } },
})
