import fs from 'node:fs'
import path from 'node:path'
import { serveStatic } from '@hono/node-server/serve-static'
import { Hono, type MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { cors } from 'hono/cors'
import { requestId } from 'hono/request-id'
import { secureHeaders } from 'hono/secure-headers'
import { openAPIRouteHandler } from 'hono-openapi'
import { ApiError } from './errors.ts'
import { authenticate } from './http/authenticate.ts'
import type { AppEnv, Deps } from './http/context.ts'
import { adoptDataKey, authenticateDataKey } from './http/data-key.ts'
import { renderError } from './http/errors.ts'
import { route } from './http/route.ts'
import { safeUrl } from './log.ts'
import { alertRoutes } from './routes/alerts.routes.ts'
import { audienceRoutes } from './routes/audiences.routes.ts'
import { auditRoutes } from './routes/audit.routes.ts'
import { authRoutes } from './routes/auth.routes.ts'
import { authorizationRoutes } from './routes/authorizations.routes.ts'
import { collectRoutes } from './routes/collect.routes.ts'
import { dataKeyRoutes } from './routes/data-keys.routes.ts'
import { docsRoutes } from './routes/docs.routes.ts'
import { eventRoutes } from './routes/events.routes.ts'
import { healthRoutes } from './routes/health.routes.ts'
import { jobRoutes } from './routes/jobs.routes.ts'
import { oauthRoutes } from './routes/oauth.routes.ts'
import { pipelineRoutes } from './routes/pipelines.routes.ts'
import { profileRoutes } from './routes/profiles.routes.ts'
import { providerRoutes } from './routes/providers.routes.ts'
import { rebuildRoutes } from './routes/rebuild.routes.ts'
import { readJson, segmentRoutes } from './routes/segment.routes.ts'
import { streamRoutes } from './routes/streams.routes.ts'
import { suppressionRoutes } from './routes/suppressions.routes.ts'
import { tokenRoutes } from './routes/tokens.routes.ts'
import { uploadRoutes } from './routes/uploads.routes.ts'
import { userRoutes } from './routes/users.routes.ts'

export const MAX_BODY_BYTES = 1024 * 1024
const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i
/**
 * The UI's file upload (`POST /api/streams/:stream/uploads`): a bulk file, streamed like
 * `/collect/bulk/:stream`, so it skips the API's JSON-only rule, its 1 MB limit and the realtime
 * lane (which would hold the bulk lane back for as long as the file takes to arrive).
 */
const isFileUpload = (c: { req: { method: string; path: string } }) =>
  c.req.method === 'POST' && /^\/api\/streams\/[^/]+\/uploads$/.test(c.req.path)

/** A body we cannot read is refused up front; a bodiless request (a browser DELETE) sends no type. */
const requireJson: MiddlewareHandler<AppEnv> = async (c, next) => {
  const type = c.req.header('content-type')
  if (type && c.req.method !== 'GET' && !JSON_TYPE.test(type) && !isFileUpload(c)) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `send JSON with "Content-Type: application/json" (got "${type}")`,
    )
  }
  await next()
}

/**
 * Builds the HTTP app over its dependencies. Routes are chained so their types flow to the client
 * through `AppType` (Hono RPC).
 * @example const app = createApp(deps); await app.request('/api/health')
 */
export function createApp(deps: Deps, options: { clientDir?: string } = {}) {
  const app = new Hono<AppEnv>()

  app.use('*', requestId())
  // The UI loads only its own scripts; nothing may frame it (clickjacking) or sniff types.
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // React Flow positions nodes with style attributes; provider icons are data: SVGs.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
      referrerPolicy: 'same-origin',
      xFrameOptions: 'DENY',
      // HSTS only where users reach Sluice over HTTPS.
      strictTransportSecurity: deps.config.publicUrl.startsWith('https://') ? 'max-age=31536000' : false,
      // The collect API is called cross-origin by browsers (Segment's analytics.js).
      crossOriginResourcePolicy: false,
    }),
  )
  app.use('*', async (c, next) => {
    const log = deps.logger.child({ requestId: c.get('requestId') })
    c.set('deps', deps)
    c.set('log', log)
    const started = performance.now()
    await next()
    if (
      c.req.path.startsWith('/api/') ||
      c.req.path.startsWith('/collect/') ||
      c.req.path.startsWith('/v1/')
    ) {
      const ms = Math.round(performance.now() - started)
      log.info({ method: c.req.method, url: safeUrl(c.req.url), status: c.res.status, ms }, 'request')
    }
  })
  const apiBodyLimit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError(
        413,
        'PayloadTooLarge',
        `the request body is over ${MAX_BODY_BYTES / 1024 / 1024} MB`,
      )
    },
  })
  app.use('/api/*', (c, next) => (isFileUpload(c) ? next() : apiBodyLimit(c, next)))
  // Realtime collect and the UI's requests go before the bulk lane's next transaction (lanes.ts).
  for (const path of ['/api/*', '/collect/json/*', '/v1/*']) {
    app.use(path, async (c, next) => {
      // A live event stream lasts as long as its page: it must not hold the bulk lane back.
      if (c.req.path === '/api/events' || isFileUpload(c)) return next()
      deps.lanes.enter(path !== '/api/*')
      try {
        await next()
      } finally {
        deps.lanes.leave()
      }
    })
  }
  app.use('/api/*', requireJson)
  app.use('/api/*', authenticate)
  // Realtime collect bodies share the API's limit; bulk uploads stream and have their own.
  for (const path of ['/collect/json/*', '/v1/*']) {
    app.use(
      path,
      bodyLimit({
        maxSize: MAX_BODY_BYTES,
        onError: () => {
          throw new ApiError(
            413,
            'PayloadTooLarge',
            'the body is over 1 MB; send large files to /collect/bulk/:stream',
          )
        },
      }),
    )
  }
  app.use('/collect/json/*', requireJson)
  app.use('/collect/*', authenticateDataKey)
  // Browsers send Segment calls cross-origin, without credentials, the key as the body's writeKey.
  app.use(
    '/v1/*',
    cors({
      origin: '*',
      allowMethods: ['POST'],
      allowHeaders: ['Content-Type', 'Authorization', 'Content-Encoding'],
      maxAge: 86_400,
    }),
  )
  app.use('/v1/*', authenticateDataKey)
  app.use('/v1/*', async (c, next) => {
    if (!c.get('dataKey') && c.req.method === 'POST') {
      const body = await readJson(c).catch(() => null)
      const writeKey =
        body && typeof body === 'object' ? (body as { writeKey?: unknown }).writeKey : undefined
      if (typeof writeKey === 'string' && writeKey) await adoptDataKey(c, writeKey)
    }
    await next()
  })

  const routes = app
    .route('/', healthRoutes)
    .route('/', authRoutes)
    .route('/', userRoutes)
    .route('/', tokenRoutes)
    .route('/', providerRoutes)
    .route('/', authorizationRoutes)
    .route('/', oauthRoutes)
    .route('/', auditRoutes)
    .route('/', pipelineRoutes)
    .route('/', jobRoutes)
    .route('/', eventRoutes)
    .route('/', alertRoutes)
    .route('/', dataKeyRoutes)
    .route('/', streamRoutes)
    .route('/', collectRoutes)
    .route('/', rebuildRoutes)
    .route('/', profileRoutes)
    .route('/', audienceRoutes)
    .route('/', suppressionRoutes)
    .route('/', uploadRoutes)
    .route('/', segmentRoutes)
    .route('/', docsRoutes)

  app.get(
    '/api/openapi.json',
    route('public', { summary: 'This OpenAPI document', tags: ['Docs'] }),
    openAPIRouteHandler(app, {
      documentation: {
        info: {
          title: 'Sluice API',
          version: deps.version,
          description: 'Visual data pipelines for customer data',
        },
        // The generator leaves out the route that serves it; list it so the document is complete.
        paths: {
          '/api/openapi.json': {
            get: {
              summary: 'This OpenAPI document',
              tags: ['Docs'],
              security: [],
              responses: { 200: { description: 'OpenAPI 3.1' } },
            },
          },
        },
        components: {
          securitySchemes: {
            session: { type: 'apiKey', in: 'cookie', name: 'sluice_session' },
            bearer: { type: 'http', scheme: 'bearer' },
            dataKey: { type: 'apiKey', in: 'header', name: 'Authorization' },
          },
        },
      },
    }),
  )

  app.all('/api/*', route('public', { summary: 'Unknown API path', hide: true }), (c) => {
    throw new ApiError(404, 'NotFound', `no API route ${c.req.method} ${c.req.path}; see /api/docs`)
  })

  const clientDir = options.clientDir
  if (clientDir && fs.existsSync(path.join(clientDir, 'index.html'))) {
    const root = path.relative(process.cwd(), clientDir) || '.'
    const indexHtml = fs.readFileSync(path.join(clientDir, 'index.html'), 'utf8')
    // Asset names carry a hash of their content: a browser may keep them for good, so a second
    // visit to the editor loads (and compiles) no script again. The shell below is never cached.
    app.get(
      '/assets/*',
      route('public', { summary: 'Client assets', hide: true }),
      async (c, next) => {
        await next()
        if (c.res.status === 200) c.res.headers.set('Cache-Control', 'public, max-age=31536000, immutable')
      },
      serveStatic({ root }),
      // A missing asset (an old build's, say) is a 404, not the app shell served as a script.
      (c) => c.notFound(),
    )
    app.get(
      '*',
      route('public', { summary: 'Client files and the app shell', hide: true }),
      serveStatic({ root }),
      (c) => {
        c.header('Cache-Control', 'no-cache')
        return c.html(indexHtml)
      },
    )
  }

  app.onError(renderError)
  app.notFound((c) => c.json({ error: { code: 'NotFound', message: `nothing at ${c.req.path}` } }, 404))
  return routes
}

export type AppType = ReturnType<typeof createApp>
