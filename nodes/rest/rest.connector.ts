import { createHash } from 'node:crypto'
import { z } from 'zod'
import {
  type ConnectorContext,
  ConnectorError,
  defineConnector,
  type ReadBatch,
  type ReadOptions,
  type SourceRecord,
} from '../define.ts'
import { retryableAnswer, unreachable } from '../http-answers.ts'
import { type RestConfig, rest, restConfig } from './rest.node.ts'

const TIMEOUT_MS = 30_000
const BODY_IN_ERRORS = 300

/** Where paging stands: the next page, offset, cursor or URL. */
const pageState = z.union([
  z.strictObject({ page: z.int() }),
  z.strictObject({ offset: z.int() }),
  z.strictObject({ cursor: z.string() }),
  z.strictObject({ url: z.string() }),
])
type PageState = z.infer<typeof pageState>

/**
 * Committed with each page: `since` is what this sync asks for, `max` the largest incremental
 * value seen so far, `next` the page to read. A sync cut off mid-way resumes at `next` with the
 * same `since`; a finished one moves `since` up to `max`.
 */
const checkpointSchema = z.strictObject({
  since: z.union([z.string(), z.number()]).nullable(),
  max: z.union([z.string(), z.number()]).nullable(),
  next: pageState.nullable(),
})
type Checkpoint = z.infer<typeof checkpointSchema>

function parseConfig(config: unknown): RestConfig {
  const parsed = restConfig.safeParse(config ?? {})
  if (parsed.success) return parsed.data
  throw new ConnectorError('config', `invalid REST config: ${z.prettifyError(parsed.error)}`)
}

/** The value at a dot path, or undefined. */
export function at(value: unknown, path: string): unknown {
  if (!path) return value
  let current = value
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, part)) return undefined
    current = (current as Record<string, unknown>)[part]
  }
  return current
}

/** The next page from a Link header's rel="next", or null. */
export function nextLink(header: string | null, base: string): string | null {
  if (!header) return null
  for (const part of header.split(',')) {
    const match = /<([^>]+)>\s*;(.*)/.exec(part.trim())
    if (match && /\brel="?([^";]*\s)?next(\s[^";]*)?"?/i.test(match[2]!))
      return new URL(match[1]!, base).toString()
  }
  return null
}

function firstPage(config: RestConfig): PageState | null {
  const paging = config.pagination
  if (paging.type === 'page') return { page: paging.start }
  if (paging.type === 'offset') return { offset: 0 }
  return null
}

function urlFor(
  config: RestConfig,
  state: PageState | null,
  since: Checkpoint['since'],
  credentials: Record<string, unknown>,
) {
  if (state && 'url' in state) return new URL(state.url)
  const url = new URL(config.url)
  const paging = config.pagination
  if (paging.type === 'page' && state && 'page' in state) {
    url.searchParams.set(paging.param, String(state.page))
    if (paging.sizeParam) url.searchParams.set(paging.sizeParam, String(paging.size))
  } else if (paging.type === 'offset' && state && 'offset' in state) {
    url.searchParams.set(paging.param, String(state.offset))
    url.searchParams.set(paging.limitParam, String(paging.limit))
  } else if (paging.type === 'cursor' && state && 'cursor' in state)
    url.searchParams.set(paging.param, state.cursor)
  if (config.incremental && since !== null) url.searchParams.set(config.incremental.param, String(since))
  if (credentials.placement === 'query')
    url.searchParams.set(String(credentials.name), String(credentials.apiKey))
  return url
}

function authHeaders(credentials: Record<string, unknown>): Record<string, string> {
  if (typeof credentials.apiKey === 'string') {
    if (credentials.placement === 'header') return { [String(credentials.name)]: credentials.apiKey }
    if (credentials.placement === 'query') return {}
    return { authorization: `Bearer ${credentials.apiKey}` }
  }
  if (typeof credentials.accessToken === 'string')
    return { authorization: `Bearer ${credentials.accessToken}` }
  if (typeof credentials.username === 'string')
    return {
      authorization: `Basic ${Buffer.from(`${credentials.username}:${String(credentials.password)}`).toString('base64')}`,
    }
  return {}
}

/**
 * One request, classified: what the user should do is in the message. After a 401 refreshed the
 * OAuth2 token, the answer carries the context with the new credentials for the requests after it.
 */
async function request(
  ctx: ConnectorContext<RestConfig>,
  config: RestConfig,
  url: URL,
  retried = false,
): Promise<{ body: unknown; headers: Headers; ctx: ConnectorContext<RestConfig> }> {
  await ctx.throttle?.()
  let response: Response
  try {
    response = await ctx.fetch(url, {
      method: config.method,
      headers: {
        accept: 'application/json',
        ...config.headers,
        ...(config.body ? { 'content-type': 'application/json' } : {}),
        ...authHeaders(ctx.credentials),
      },
      ...(config.method === 'POST' && config.body ? { body: config.body } : {}),
      signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(TIMEOUT_MS)]),
    })
  } catch (error) {
    throw unreachable(error, url.host)
  }
  const text = await response.text()
  const answered = `${url.host} answered HTTP ${response.status}${text ? `: ${text.slice(0, BODY_IN_ERRORS)}` : ''}`
  if (response.status === 401 && ctx.reauthorize && !retried) {
    return request({ ...ctx, credentials: await ctx.reauthorize() }, config, url, true)
  }
  if (response.status === 401 || response.status === 403)
    throw new ConnectorError('auth', `${answered}; check the authorization`, {
      code: String(response.status),
    })
  const retryable = retryableAnswer(response.status, response.headers, answered, ctx.now())
  if (retryable) throw retryable
  if (!response.ok)
    throw new ConnectorError('config', `${answered}; check the URL and its parameters`, {
      code: String(response.status),
    })
  try {
    return { body: JSON.parse(text) as unknown, headers: response.headers, ctx }
  } catch {
    throw new ConnectorError(
      'config',
      `${url.host} did not answer JSON (${response.headers.get('content-type') ?? 'no content type'}): ${text.slice(0, 100)}`,
    )
  }
}

function recordsOf(config: RestConfig, body: unknown): Record<string, unknown>[] {
  const list = at(body, config.recordsPath)
  if (!Array.isArray(list)) {
    const keys =
      body && typeof body === 'object' && !Array.isArray(body)
        ? Object.keys(body).slice(0, 10).join(', ')
        : typeof body
    throw new ConnectorError(
      'config',
      `the records path "${config.recordsPath || '(whole body)'}" is not a list in the response; the response has: ${keys}`,
    )
  }
  return list.filter(
    (item): item is Record<string, unknown> =>
      item !== null && typeof item === 'object' && !Array.isArray(item),
  )
}

const larger = (a: Checkpoint['max'], b: unknown): Checkpoint['max'] => {
  if (typeof b !== 'string' && typeof b !== 'number') return a
  if (a === null) return b
  return typeof a === typeof b ? (b > a ? b : a) : a
}

function nextState(
  config: RestConfig,
  state: PageState | null,
  body: unknown,
  headers: Headers,
  count: number,
  url: URL,
): PageState | null {
  const paging = config.pagination
  if (paging.type === 'page' && state && 'page' in state)
    return count < paging.size ? null : { page: state.page + 1 }
  if (paging.type === 'offset' && state && 'offset' in state)
    return count < paging.limit ? null : { offset: state.offset + count }
  if (paging.type === 'cursor') {
    const cursor = at(body, paging.path)
    return typeof cursor === 'string' && cursor
      ? { cursor }
      : typeof cursor === 'number'
        ? { cursor: String(cursor) }
        : null
  }
  if (paging.type === 'link') {
    const next = nextLink(headers.get('link'), url.toString())
    return next ? { url: next } : null
  }
  return null
}

async function* read(
  ctx: ConnectorContext<RestConfig>,
  options: ReadOptions<Checkpoint>,
): AsyncGenerator<ReadBatch<Checkpoint>> {
  const config = parseConfig(ctx.config)
  const stored = checkpointSchema.safeParse(options.checkpoint)
  const checkpoint: Checkpoint = stored.success ? stored.data : { since: null, max: null, next: null }
  const since = checkpoint.since
  let max = checkpoint.max
  let state = checkpoint.next ?? firstPage(config)
  let session = ctx
  for (let pages = 0; pages < config.maxPages; pages++) {
    if (ctx.signal.aborted) return
    const url = urlFor(config, state, since, session.credentials)
    const answer = await request(session, config, url)
    const { body, headers } = answer
    session = answer.ctx
    const items = recordsOf(config, body)
    const records: SourceRecord[] = items.map((item) => {
      const id = at(item, config.idPath)
      const digest = createHash('sha256').update(JSON.stringify(item)).digest('base64url').slice(0, 16)
      // The same record unchanged is a replay; changed, it is news.
      const key = `${typeof id === 'string' || typeof id === 'number' ? id : 'record'}:${digest}`
      const eventTime = config.eventTimePath ? at(item, config.eventTimePath) : undefined
      if (config.incremental) max = larger(max, at(item, config.incremental.field))
      return { key, data: item, ...(typeof eventTime === 'string' ? { eventTime } : {}) }
    })
    const next = nextState(config, state, body, headers, items.length, url)
    yield {
      records,
      checkpoint: next ? { since, max, next } : { since: max ?? since, max: null, next: null },
    }
    if (!next || (options.preview && pages + 1 >= 1)) return
    state = next
  }
}

export default defineConnector(rest, {
  async check(ctx) {
    if (!ctx.config)
      return { ok: true, message: 'the credentials are stored; a preview shows whether the API takes them' }
    try {
      const config = parseConfig(ctx.config)
      const { body } = await request(
        { ...ctx, jobId: null, config },
        config,
        urlFor(config, firstPage(config), null, ctx.credentials),
      )
      return {
        ok: true,
        message: `${new URL(config.url).host} answered with ${recordsOf(config, body).length} records`,
      }
    } catch (error) {
      return { ok: false, message: (error as Error).message }
    }
  },
  jobs: { records: { direction: 'import', read } },
})
