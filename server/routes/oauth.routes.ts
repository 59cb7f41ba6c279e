import { Hono } from 'hono'
import { z } from 'zod'
import { findProvider } from '../../nodes/index.ts'
import { sha256 } from '../auth/tokens.ts'
import { ApiError, notFound } from '../errors.ts'
import { audit } from '../http/audit.ts'
import type { AppEnv } from '../http/context.ts'
import { answer, failure, route } from '../http/route.ts'
import { body, params, query } from '../http/validate.ts'
import { authMethodOf } from '../vault/credentials.ts'
import { callbackUrl, finishFlow, sealClientSecret, startFlow } from '../vault/oauth.ts'
import { clientSettings, publicAppFields, sealAppFields } from '../vault/oauth-app.ts'

const tags = ['Vault']

const providerParam = z.strictObject({ provider: z.string().min(1).max(100) })
const clientJson = z.object({
  provider: z.string(),
  clientId: z.string(),
  clientSecret: z.object({ set: z.literal(true) }),
  authorizeUrl: z.string(),
  tokenUrl: z.string(),
  scopes: z.array(z.string()),
  apiUrl: z
    .string()
    .nullable()
    .meta({ description: "Where the provider's API is called instead of its own" }),
  appFields: z.record(z.string(), z.unknown()).meta({ description: 'Secrets as { set: true }' }),
  redirectUri: z.string().meta({ description: "Register this as the app's redirect URI at the provider" }),
  updatedAt: z.string(),
})
const clientBody = z.strictObject({
  clientId: z.string().trim().min(1).max(500),
  clientSecret: z
    .string()
    .min(1)
    .max(2000)
    .optional()
    .meta({ secret: true, description: 'Required the first time' }),
  authorizeUrl: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional()
    .meta({ description: "Overrides the provider's (a sandbox)" }),
  tokenUrl: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional(),
  scopes: z.array(z.string().min(1).max(200)).max(50).optional(),
  apiUrl: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional()
    .meta({ description: "Overrides the provider's API URL (a sandbox or a test server)" }),
  appFields: z.record(z.string(), z.unknown()).optional().meta({
    description:
      "The app's own fields the provider needs (Google Ads' developer token); a secret as { set: true } keeps its value",
  }),
})
/** Only a path on this server: the callback must not become an open redirect. */
const returnTo = z
  .string()
  .max(500)
  .regex(/^\/(?![/\\])/, 'a path on this server, such as /vault')
  .default('/vault')
const startQuery = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  description: z.string().max(2000).default(''),
  authorizationId: z.string().max(100).optional().meta({ description: 'Reconnect this authorization' }),
  returnTo,
})
const callbackQuery = z.strictObject({
  state: z.string().min(1).max(500),
  code: z.string().min(1).max(4000).optional(),
  error: z.string().max(200).optional(),
  error_description: z.string().max(2000).optional(),
  scope: z.string().max(2000).optional(),
  iss: z.string().max(2000).optional(),
})

/** Where the browser goes back to, with the outcome in the query. */
function back(path: string, outcome: Record<string, string>): string {
  const url = new URL(path, 'http://sluice.invalid')
  for (const [key, value] of Object.entries(outcome)) url.searchParams.set(key, value)
  return `${url.pathname}${url.search}`
}

/** `/api/oauth` (API.md Vault): admins register providers' apps; editors connect accounts. */
export const oauthRoutes = new Hono<AppEnv>()
  .get(
    '/api/oauth/clients',
    route('admin', {
      summary: "The providers' OAuth apps Sluice uses (secrets as { set: true })",
      tags,
      responses: { 200: answer(z.array(clientJson), 'Apps') },
    }),
    async (c) => {
      const deps = c.get('deps')
      const rows = await deps.db.selectFrom('oauth_clients').selectAll().orderBy('provider').execute()
      return c.json(
        rows.map((row) => {
          const settings = clientSettings.parse(JSON.parse(row.settings))
          const oauth = findProvider(row.provider)?.auth.find((method) => method.id === 'oauth2')?.oauth
          return {
            provider: row.provider,
            clientId: row.client_id,
            clientSecret: { set: true as const },
            authorizeUrl: settings.authorizeUrl ?? oauth?.authorizeUrl ?? '',
            tokenUrl: settings.tokenUrl ?? oauth?.tokenUrl ?? '',
            scopes: settings.scopes ?? [...(oauth?.scopes ?? [])],
            apiUrl: settings.apiUrl ?? null,
            appFields: publicAppFields(settings),
            redirectUri: callbackUrl(deps),
            updatedAt: row.updated_at,
          }
        }),
        200,
      )
    },
  )
  .put(
    '/api/oauth/clients/:provider',
    route('admin', {
      summary: "Register (or change) a provider's OAuth app: its client id and secret",
      tags,
      responses: { 200: answer(z.object({ provider: z.string(), redirectUri: z.string() }), 'Saved') },
    }),
    params(providerParam),
    body(clientBody),
    async (c) => {
      const deps = c.get('deps')
      const { provider } = c.req.valid('param')
      const input = c.req.valid('json')
      const { method } = authMethodOf(provider, 'oauth2')
      // A provider without fixed endpoints (the REST source: every API has its own) needs them here.
      const missing = (['authorizeUrl', 'tokenUrl'] as const).filter(
        (field) => !input[field] && !method.oauth?.[field],
      )
      if (missing.length)
        throw new ApiError(
          400,
          'ValidationFailed',
          missing
            .map((field) => `body.${field}: required, ${provider} has no fixed OAuth2 endpoints`)
            .join('; '),
        )
      const now = deps.clock.now().toISOString()
      const by = c.get('principal')!.userId
      await deps.db.transaction().execute(async (trx) => {
        const existing = await trx
          .selectFrom('oauth_clients')
          .select(['provider', 'settings'])
          .where('provider', '=', provider)
          .executeTakeFirst()
        const stored = existing ? clientSettings.parse(JSON.parse(existing.settings)) : {}
        const settings = JSON.stringify({
          ...(input.authorizeUrl ? { authorizeUrl: input.authorizeUrl } : {}),
          ...(input.tokenUrl ? { tokenUrl: input.tokenUrl } : {}),
          ...(input.scopes ? { scopes: input.scopes } : {}),
          ...(input.apiUrl ? { apiUrl: input.apiUrl } : {}),
          ...sealAppFields(deps.vault, provider, method, input.appFields, stored),
        })
        if (!existing && !input.clientSecret)
          throw new ApiError(400, 'ValidationFailed', 'body.clientSecret: required when registering the app')
        const secret = input.clientSecret
          ? { client_secret: sealClientSecret(deps, provider, input.clientSecret), key_id: deps.vault.keyId }
          : {}
        if (existing)
          await trx
            .updateTable('oauth_clients')
            .set({ client_id: input.clientId, settings, ...secret, updated_by: by, updated_at: now })
            .where('provider', '=', provider)
            .execute()
        else
          await trx
            .insertInto('oauth_clients')
            .values({
              provider,
              client_id: input.clientId,
              client_secret: secret.client_secret!,
              key_id: deps.vault.keyId,
              settings,
              created_by: by,
              updated_by: by,
              created_at: now,
              updated_at: now,
            })
            .execute()
        await audit(c, trx, {
          action: existing ? 'changed' : 'created',
          entityType: 'oauth-client',
          entityId: provider,
          entityName: provider,
          details: { fields: Object.keys(input) },
        })
      })
      return c.json({ provider, redirectUri: callbackUrl(deps) }, 200)
    },
  )
  .delete(
    '/api/oauth/clients/:provider',
    route('admin', {
      summary:
        "Remove a provider's OAuth app (its authorizations keep working until their tokens need a refresh)",
      tags,
      responses: { 204: { description: 'Removed' }, 404: failure('No app for that provider') },
    }),
    params(providerParam),
    async (c) => {
      const { db } = c.get('deps')
      const { provider } = c.req.valid('param')
      const removed = await db.deleteFrom('oauth_clients').where('provider', '=', provider).executeTakeFirst()
      if (Number(removed.numDeletedRows) === 0) throw notFound('OAuth app', provider)
      await audit(c, db, {
        action: 'deleted',
        entityType: 'oauth-client',
        entityId: provider,
        entityName: provider,
      })
      return c.body(null, 204)
    },
  )
  .get(
    '/api/oauth/:provider/start',
    route('editor', {
      summary: 'Connect an account: redirects the browser to the provider (authorization code with PKCE)',
      tags,
      responses: {
        302: { description: "To the provider's consent page" },
        422: failure('OAuthClientMissing'),
      },
    }),
    params(providerParam),
    query(startQuery),
    async (c) => {
      const deps = c.get('deps')
      const { provider } = c.req.valid('param')
      const input = c.req.valid('query')
      const { provider: known } = authMethodOf(provider, 'oauth2')
      const url = await startFlow(deps, c.get('principal')!.userId, provider, {
        name: input.name ?? known.title,
        description: input.description,
        authorizationId: input.authorizationId ?? null,
        returnTo: input.returnTo,
      })
      return c.redirect(url, 302)
    },
  )
  .get(
    '/api/oauth/callback',
    route('editor', {
      summary: "Where the provider sends the browser back: stores the tokens, then returns to Sluice's page",
      tags,
      responses: { 302: { description: 'Back to the page the flow started from' } },
    }),
    query(callbackQuery),
    async (c) => {
      const deps = c.get('deps')
      const input = c.req.valid('query')
      if (input.error || !input.code) {
        // The user declined, or the provider failed: the state is spent either way.
        const reason = input.error_description ?? input.error ?? 'no authorization code'
        const flow = await deps.db
          .deleteFrom('oauth_states')
          .where('id', '=', sha256(input.state))
          .returning('request')
          .executeTakeFirst()
        const to = flow ? (JSON.parse(flow.request) as { returnTo: string }).returnTo : '/vault'
        return c.redirect(
          back(to, { oauthError: `the provider did not connect the account: ${reason}` }),
          302,
        )
      }
      const principal = c.get('principal')!
      // The browser is mid-flow: what goes wrong goes back to the page it came from, in words.
      const pending = await deps.db
        .selectFrom('oauth_states')
        .select('request')
        .where('id', '=', sha256(input.state))
        .executeTakeFirst()
      const from = pending ? (JSON.parse(pending.request) as { returnTo: string }).returnTo : '/vault'
      let result: Awaited<ReturnType<typeof finishFlow>>
      try {
        result = await finishFlow(deps, principal, input.state, input.code)
      } catch (error) {
        if (!(error instanceof ApiError)) throw error
        return c.redirect(back(from, { oauthError: error.message }), 302)
      }
      await audit(c, deps.db, {
        action: result.created ? 'created' : 'reconnected',
        entityType: 'authorization',
        entityId: result.authorization.id,
        entityName: result.authorization.name,
        details: { provider: result.authorization.provider, method: 'oauth2' },
      })
      return c.redirect(back(result.request.returnTo, { authorization: result.authorization.id }), 302)
    },
  )
