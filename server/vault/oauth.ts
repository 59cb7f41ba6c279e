import { createHash, randomBytes } from 'node:crypto'
import { z } from 'zod'
import { ConnectorError } from '../../nodes/define.ts'
import { sha256 } from '../auth/tokens.ts'
import { findAuthorization } from '../db/authorizations.repo.ts'
import { newId } from '../db/ids.ts'
import { appendLog } from '../db/jobs.repo.ts'
import { isPostgres, serialize } from '../db/locks.ts'
import type { Authorization, Executor } from '../db/schema.ts'
import { ApiError } from '../errors.ts'
import type { Deps } from '../http/context.ts'
import { guardedFetch } from '../net/outbound.ts'
import { authMethodOf, openCredentials, sealSecrets } from './credentials.ts'
import { clientSettings } from './oauth-app.ts'
import { scrubSecrets } from './scrubber.ts'

/**
 * OAuth2 authorization code with PKCE (DESIGN.md §6): the state and verifier are kept server-side
 * (the state hashed, the verifier sealed), the callback is under SLUICE_PUBLIC_URL, and tokens are
 * refreshed before they expire and when a provider refuses one — once at a time per
 * authorization, across processes. A refresh the provider refuses marks the authorization broken,
 * so every job using it errors with "reconnect" until someone does.
 */

export const FLOW_TTL_MS = 10 * 60_000
/** Refresh this long before the access token expires. */
export const REFRESH_MARGIN_MS = 60_000

export const callbackUrl = (deps: Pick<Deps, 'config'>) => `${deps.config.publicUrl}/api/oauth/callback`
const clientPlace = (provider: string) => ({ owner: `oauth-client:${provider}`, field: 'clientSecret' })

/** The provider's OAuth2 endpoints with the admin's client; 422 when no client is configured. */
async function clientOf(deps: Pick<Deps, 'db' | 'vault'>, providerId: string) {
  const { provider, method } = authMethodOf(providerId, 'oauth2')
  const row = await deps.db
    .selectFrom('oauth_clients')
    .selectAll()
    .where('provider', '=', providerId)
    .executeTakeFirst()
  if (!row || !method.oauth)
    throw new ApiError(
      422,
      'OAuthClientMissing',
      `an admin must first register Sluice's OAuth app for ${provider.title}: PUT /api/oauth/clients/${providerId}`,
    )
  const settings = clientSettings.parse(JSON.parse(row.settings))
  return {
    provider,
    clientId: row.client_id,
    clientSecret: deps.vault.unseal(clientPlace(providerId), row.client_secret),
    authorizeUrl: settings.authorizeUrl ?? method.oauth.authorizeUrl,
    tokenUrl: settings.tokenUrl ?? method.oauth.tokenUrl,
    scopes: settings.scopes ?? [...method.oauth.scopes],
    authorizeParams: method.oauth.authorizeParams ?? {},
  }
}

export function sealClientSecret(deps: Pick<Deps, 'vault'>, provider: string, secret: string) {
  return deps.vault.seal(clientPlace(provider), secret)
}

const flowRequest = z.object({
  name: z.string(),
  description: z.string(),
  authorizationId: z.string().nullable(),
  returnTo: z.string(),
})
export type FlowRequest = z.infer<typeof flowRequest>

/** Starts a flow: the URL to send the browser to. */
export async function startFlow(
  deps: Pick<Deps, 'db' | 'vault' | 'clock' | 'config'>,
  userId: string,
  providerId: string,
  request: FlowRequest,
): Promise<string> {
  const client = await clientOf(deps, providerId)
  const state = randomBytes(32).toString('base64url')
  const verifier = randomBytes(48).toString('base64url')
  const challenge = createHash('sha256').update(verifier).digest('base64url')
  const id = sha256(state)
  const now = deps.clock.now()
  await deps.db
    .insertInto('oauth_states')
    .values({
      id,
      provider: providerId,
      verifier: deps.vault.seal({ owner: `oauth-state:${id}`, field: 'verifier' }, verifier),
      request: JSON.stringify(request),
      created_by: userId,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + FLOW_TTL_MS).toISOString(),
    })
    .execute()
  const url = new URL(client.authorizeUrl)
  url.search = new URLSearchParams({
    ...client.authorizeParams,
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: callbackUrl(deps),
    // No scopes (an API whose admin named none): no scope parameter rather than an empty one.
    ...(client.scopes.length ? { scope: client.scopes.join(' ') } : {}),
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString()
  return url.toString()
}

const tokenAnswer = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().optional(),
  expires_in: z.coerce.number().positive().optional(),
  scope: z.string().optional(),
  /** Salesforce: the org's own API host. */
  instance_url: z.url().optional(),
})

/**
 * One call to the token endpoint. The provider refusing (400/401: a revoked or expired grant) is
 * an auth error; anything else (5xx, unreachable) may pass later.
 */
async function tokenRequest(
  deps: Pick<Deps, 'config'>,
  client: Awaited<ReturnType<typeof clientOf>>,
  params: Record<string, string>,
) {
  const fetch = guardedFetch(deps.config)
  let response: Response
  try {
    response = await fetch(client.tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`,
      },
      body: new URLSearchParams({ ...params, client_id: client.clientId }).toString(),
      signal: AbortSignal.timeout(20_000),
    })
  } catch (error) {
    if (error instanceof ConnectorError) throw error
    throw new ConnectorError(
      'transient',
      `${client.provider.title}'s token endpoint could not be reached: ${(error as Error).message}`,
    )
  }
  const text = await response.text()
  if (response.status === 400 || response.status === 401) {
    const reason = /"error"\s*:\s*"([\w.-]+)"/.exec(text)?.[1] ?? `HTTP ${response.status}`
    throw new ConnectorError('auth', `${client.provider.title} refused the token request (${reason})`, {
      code: reason,
    })
  }
  if (!response.ok)
    throw new ConnectorError(
      'transient',
      `${client.provider.title}'s token endpoint answered HTTP ${response.status}`,
    )
  const parsed = tokenAnswer.safeParse(JSON.parse(text || '{}'))
  if (!parsed.success)
    throw new ConnectorError('transient', `${client.provider.title}'s token endpoint sent no access token`)
  return parsed.data
}

function tokenColumns(
  deps: Pick<Deps, 'vault' | 'clock'>,
  id: string,
  tokens: z.infer<typeof tokenAnswer>,
  keepRefresh?: string,
  keepFields: Record<string, unknown> = {},
) {
  const secrets: Record<string, string> = { accessToken: tokens.access_token }
  const refresh = tokens.refresh_token ?? keepRefresh
  if (refresh) secrets.refreshToken = refresh
  const sealed = sealSecrets(deps.vault, id, secrets)
  return {
    secrets: JSON.stringify(sealed),
    key_id: deps.vault.keyId,
    fields: JSON.stringify({
      ...keepFields,
      ...(tokens.scope ? { scope: tokens.scope } : {}),
      ...(tokens.instance_url ? { instanceUrl: tokens.instance_url } : {}),
    }),
    expires_at: tokens.expires_in
      ? new Date(deps.clock.now().getTime() + tokens.expires_in * 1000).toISOString()
      : null,
    error: null,
  }
}

/**
 * Completes a flow the provider sent back: exchanges the code (with the verifier) for tokens and
 * creates the authorization, or reconnects the one the flow was for.
 */
export async function finishFlow(
  deps: Pick<Deps, 'db' | 'vault' | 'clock' | 'config'>,
  user: { userId: string },
  state: string,
  code: string,
): Promise<{ authorization: Authorization; request: FlowRequest; created: boolean }> {
  const id = sha256(state)
  // Used once: whatever happens next, this state cannot be replayed.
  const flow = await deps.db.deleteFrom('oauth_states').where('id', '=', id).returningAll().executeTakeFirst()
  if (!flow || flow.created_by !== user.userId)
    throw new ApiError(
      400,
      'InvalidOAuthState',
      'this sign-in link is unknown or was used already; start connecting again',
    )
  if (flow.expires_at < deps.clock.now().toISOString())
    throw new ApiError(
      400,
      'InvalidOAuthState',
      'the connection took longer than 10 minutes; start connecting again',
    )
  const request = flowRequest.parse(JSON.parse(flow.request))
  const verifier = deps.vault.unseal({ owner: `oauth-state:${id}`, field: 'verifier' }, flow.verifier)
  const client = await clientOf(deps, flow.provider)
  let tokens: z.infer<typeof tokenAnswer>
  try {
    tokens = await tokenRequest(deps, client, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: callbackUrl(deps),
      code_verifier: verifier,
    })
  } catch (error) {
    throw new ApiError(422, 'OAuthExchangeFailed', scrubSecrets((error as Error).message))
  }
  const now = deps.clock.now().toISOString()
  const existing = request.authorizationId
    ? await findAuthorization(deps.db, request.authorizationId)
    : undefined
  if (request.authorizationId && (!existing || existing.provider !== flow.provider))
    throw new ApiError(
      404,
      'NotFound',
      `authorization "${request.authorizationId}" does not exist for ${flow.provider}`,
    )
  const authorizationId = existing?.id ?? newId()
  const columns = tokenColumns(deps, authorizationId, tokens)
  const authorization: Authorization = existing
    ? { ...existing, ...columns, method: 'oauth2', updated_by: user.userId, updated_at: now }
    : {
        id: authorizationId,
        name: request.name,
        description: request.description,
        provider: flow.provider,
        method: 'oauth2',
        ...columns,
        created_by: user.userId,
        updated_by: user.userId,
        created_at: now,
        updated_at: now,
      }
  if (existing) {
    const { id: _, ...changes } = authorization
    await deps.db.updateTable('authorizations').set(changes).where('id', '=', existing.id).execute()
  } else await deps.db.insertInto('authorizations').values(authorization).execute()
  return { authorization, request, created: !existing }
}

const inflight = new Map<string, Promise<Authorization>>()

/**
 * Fresh tokens for an OAuth2 authorization: refreshed when they expire within the margin, or
 * when `refusedToken` (the access token a provider just refused) is still the stored one. One
 * refresh at a time per authorization — in this process by a shared promise, across processes by
 * an advisory lock, after which a refresh another process made is simply read.
 * @throws ConnectorError auth when the provider refuses the refresh (the authorization is then
 * marked for reconnecting), transient when it cannot be reached
 */
export function freshTokens(
  deps: Pick<Deps, 'db' | 'vault' | 'clock' | 'config'>,
  row: Authorization,
  refusedToken?: string,
): Promise<Authorization> {
  const due = (current: Authorization) => {
    if (refusedToken !== undefined)
      return openCredentials(deps.vault, current).secrets.accessToken === refusedToken
    return (
      current.expires_at !== null &&
      Date.parse(current.expires_at) - deps.clock.now().getTime() < REFRESH_MARGIN_MS
    )
  }
  if (!due(row)) return Promise.resolve(row)
  const running = inflight.get(row.id)
  if (running) return running
  const refresh = refreshOnce(deps, row.id, due).finally(() => inflight.delete(row.id))
  inflight.set(row.id, refresh)
  return refresh
}

async function refreshOnce(
  deps: Pick<Deps, 'db' | 'vault' | 'clock' | 'config'>,
  id: string,
  due: (row: Authorization) => boolean,
): Promise<Authorization> {
  type Attempt = { row: Authorization; refused: ConnectorError | null }
  const attempt = async (db: Executor): Promise<Attempt> => {
    const current = await findAuthorization(db, id)
    if (!current) throw new ConnectorError('config', `the authorization ${id} no longer exists`)
    if (current.error || !due(current)) return { row: current, refused: null }
    const refreshToken = openCredentials(deps.vault, current).secrets.refreshToken
    const client = await clientOf(deps, current.provider)
    try {
      if (!refreshToken) throw new ConnectorError('auth', `${client.provider.title} gave no refresh token`)
      const tokens = await tokenRequest(deps, client, {
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
      })
      const columns = tokenColumns(deps, id, tokens, refreshToken, JSON.parse(current.fields))
      const updated = { ...current, ...columns, updated_at: deps.clock.now().toISOString() }
      await db
        .updateTable('authorizations')
        .set({ ...columns, updated_at: updated.updated_at })
        .where('id', '=', id)
        .execute()
      return { row: updated, refused: null }
    } catch (error) {
      if (!(error instanceof ConnectorError) || error.kind !== 'auth') throw error
      return { row: current, refused: error }
    }
  }
  // PostgreSQL: the lock is held across the token request, so a second process waits and then
  // finds the new tokens. SQLite is one process: the in-process promise already serializes.
  const result = isPostgres(deps.db)
    ? await deps.db.transaction().execute(async (trx) => {
        await serialize(trx, `oauth-refresh:${id}`)
        return attempt(trx)
      })
    : await attempt(deps.db)
  if (result.refused) {
    await markReconnect(deps, result.row, `${result.refused.message}: reconnect it in the Vault`)
    throw new ConnectorError(
      'auth',
      `authorization "${result.row.name}" stopped working: ${result.refused.message}; reconnect it in the Vault`,
      {
        code: 'reconnect',
      },
    )
  }
  return result.row
}

/** Marks an authorization broken and says so in the log of every job that uses it. */
async function markReconnect(deps: Pick<Deps, 'db' | 'clock'>, row: Authorization, reason: string) {
  const at = deps.clock.now().toISOString()
  await deps.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('authorizations')
      .set({ error: reason, updated_at: at })
      .where('id', '=', row.id)
      .execute()
    const jobs = await trx
      .selectFrom('jobs')
      .select('id')
      .where('authorization_id', '=', row.id)
      .where('status', '!=', 'removed')
      .execute()
    for (const job of jobs)
      await appendLog(trx, {
        jobId: job.id,
        at,
        event: 'AuthorizationBroken',
        message: `Authorization "${row.name}" needs reconnecting: ${reason}`,
      })
  })
}
