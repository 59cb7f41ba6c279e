import { afterAll, beforeAll, expect, it } from 'vitest'
import { z } from 'zod'
import { jobConnector, registerConnector } from '../../nodes/connectors.ts'
import { type ConnectorContext, defineConnector, defineProvider, SECRET } from '../../nodes/define.ts'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { startOAuthProvider } from '../support/oauth-provider.ts'

const DEVELOPER_TOKEN = 'dev-token-7c1e9a40'

/**
 * A test-only OAuth2 provider whose app has fields of its own, as Google Ads' developer token,
 * and whose single source reports what its credentials carried (never the secret itself).
 */
const probe = defineProvider({
  id: 'app-probe',
  title: 'App probe',
  category: 'source',
  icon: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="4"/></svg>',
  description: 'Reports its credentials.',
  auth: [
    {
      id: 'oauth2',
      title: 'Connect',
      schema: z.strictObject({}),
      oauth: {
        authorizeUrl: 'https://probe.example/authorize',
        tokenUrl: 'https://probe.example/token',
        scopes: [],
        authorizeParams: { access_type: 'offline' },
      },
      appFields: z.strictObject({
        developerToken: z
          .string()
          .min(8)
          .meta({ ...SECRET, title: 'Developer token' }),
        team: z.string().optional().meta({ title: 'Team' }),
      }),
    },
  ],
  jobTypes: [
    {
      id: 'echo',
      title: 'Echo',
      direction: 'import',
      description: 'One record about the credentials.',
      config: z.strictObject({}),
      requiresAuthorization: true,
      defaultCadence: { every: '1h' },
      resetsCheckpoint: [],
    },
  ],
})

if (!jobConnector('app-probe', 'echo'))
  registerConnector(
    defineConnector(probe, {
      check: async () => ({ ok: true, message: 'probed' }),
      jobs: {
        echo: {
          direction: 'import',
          async *read(ctx: ConnectorContext) {
            const { apiUrl, instanceUrl, team, developerToken, accessToken } = ctx.credentials
            yield {
              records: [
                {
                  key: 'one',
                  data: {
                    apiUrl,
                    instanceUrl,
                    team,
                    tokenMatches: developerToken === DEVELOPER_TOKEN,
                    hasAccessToken: typeof accessToken === 'string',
                  },
                },
              ],
              checkpoint: null,
            }
          },
        },
      },
    }),
  )

describeEachDialect(
  "OAuth apps: the admin's API URL, app fields and the token answer's instance URL",
  (dialect) => {
    let oauth: Awaited<ReturnType<typeof startOAuthProvider>>
    beforeAll(async () => {
      // Salesforce names each org's API host in the token answer, at the code grant and on refresh alike;
      // this provider names it only at the code grant, so a refresh must keep it.
      oauth = await startOAuthProvider(
        () => ({ keys: new Set() }),
        (response, grant) => {
          if (grant.grant_type === 'authorization_code')
            response.body.instance_url = 'https://org-42.probe.example'
          response.body.expires_in = 3600
        },
      )
    })
    afterAll(() => oauth.stop())
    const t = useTestApp(dialect)

    it('stores app fields sealed, shows them as set, gives them and the instance URL to connectors', async () => {
      const admin = await t().setupAdmin()
      const put = (body: Record<string, unknown>) =>
        t().send('PUT', '/api/oauth/clients/app-probe', {
          cookie: admin,
          body: { clientId: 'sluice', authorizeUrl: oauth.authorizeUrl, tokenUrl: oauth.tokenUrl, ...body },
        })
      const catalogue = (await t().send('GET', '/api/providers', { cookie: admin })).json
      const method = catalogue.find((entry: { id: string }) => entry.id === 'app-probe').authMethods[0]
      expect(method.appSchema.properties.developerToken).toMatchObject({
        secret: true,
        title: 'Developer token',
      })

      // Bad input says what to fix and stores nothing.
      const missing = await put({ clientSecret: 'client-secret-1' })
      expect(missing.status).toBe(400)
      expect(missing.json.error.message).toMatch(/body\.appFields\.developerToken/)
      const badUrl = await put({ clientSecret: 'client-secret-1', apiUrl: 'ftp://x', appFields: {} })
      expect(badUrl.status).toBe(400)
      expect(badUrl.json.error.message).toMatch(/apiUrl/)
      expect((await t().send('GET', '/api/oauth/clients', { cookie: admin })).json).toEqual([])
      const elsewhere = await t().send('PUT', '/api/oauth/clients/rest', {
        cookie: admin,
        body: {
          clientId: 'x',
          clientSecret: 'y',
          authorizeUrl: oauth.authorizeUrl,
          tokenUrl: oauth.tokenUrl,
          appFields: { developerToken: DEVELOPER_TOKEN },
        },
      })
      expect(elsewhere.status).toBe(400)
      expect(elsewhere.json.error.message).toMatch(/has no extra fields/)

      const saved = await put({
        clientSecret: 'client-secret-1',
        apiUrl: 'https://sandbox.probe.example',
        appFields: { developerToken: DEVELOPER_TOKEN, team: 'growth' },
      })
      expect(saved.status, saved.text).toBe(200)
      const listed = await t().send('GET', '/api/oauth/clients', { cookie: admin })
      expect(listed.json[0]).toMatchObject({
        apiUrl: 'https://sandbox.probe.example',
        appFields: { developerToken: { set: true }, team: 'growth' },
      })
      expect(listed.text).not.toContain(DEVELOPER_TOKEN)
      const stored = await t()
        .database.db.selectFrom('oauth_clients')
        .select('settings')
        .executeTakeFirstOrThrow()
      expect(stored.settings).not.toContain(DEVELOPER_TOKEN)

      // Changing the app without its fields keeps them; `{ set: true }` keeps a secret.
      expect((await put({ scopes: ['read'] })).status).toBe(200)
      expect((await put({ appFields: { developerToken: { set: true }, team: 'retention' } })).status).toBe(
        200,
      )

      const start = await t().send('GET', '/api/oauth/app-probe/start?name=Probe', { cookie: admin })
      const consent = new URL(start.headers.get('location')!)
      // The provider's own sign-in parameters (Google's offline access) ride along; ours win.
      expect(consent.searchParams.get('access_type')).toBe('offline')
      expect(consent.searchParams.get('response_type')).toBe('code')
      const callback = new URL((await fetch(consent, { redirect: 'manual' })).headers.get('location')!)
      const done = await t().send('GET', `${callback.pathname}${callback.search}`, { cookie: admin })
      const id = new URL(done.headers.get('location')!, 'http://x').searchParams.get('authorization')!
      expect(
        (await t().send('GET', `/api/authorizations/${id}`, { cookie: admin })).json.fields,
      ).toMatchObject({
        instanceUrl: 'https://org-42.probe.example',
      })
      const preview = async () => {
        const answer = await t().send('POST', '/api/preview', {
          cookie: admin,
          body: { provider: 'app-probe', jobType: 'echo', authorizationId: id },
        })
        expect(answer.status, answer.text).toBe(200)
        expect(answer.text).not.toContain(DEVELOPER_TOKEN)
        return answer.json.records[0].data
      }
      // The API URL was dropped by the `scopes` change above (each PUT states the whole app).
      expect(await preview()).toEqual({
        instanceUrl: 'https://org-42.probe.example',
        team: 'retention',
        tokenMatches: true,
        hasAccessToken: true,
      })
      expect(
        (await put({ apiUrl: 'https://sandbox.probe.example', appFields: { developerToken: { set: true } } }))
          .status,
      ).toBe(200)
      // A refresh whose answer names no instance keeps the one the account connected with.
      const grants = oauth.grants.length
      t().clock.advance(2 * 3_600_000)
      expect(await preview()).toEqual({
        apiUrl: 'https://sandbox.probe.example',
        instanceUrl: 'https://org-42.probe.example',
        tokenMatches: true,
        hasAccessToken: true,
      })
      expect(oauth.grants.slice(grants)).toEqual(['refresh_token'])
    })
  },
)
