import fs from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { Hono } from 'hono'
import { ApiError } from '../errors.ts'
import type { AppEnv } from '../http/context.ts'
import { route } from '../http/route.ts'

/** Swagger UI served from the installed package: the docs work offline, with no CDN. */
// Resolved by path: importing 'swagger-ui-dist' would load its 1 MB bundle into the server at start.
const SWAGGER_DIR = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sluice API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/assets/init.js"></script></body></html>`

const INIT = `window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#swagger-ui', withCredentials: true })`

const tags = ['Docs']

export const docsRoutes = new Hono<AppEnv>()
  .get('/api/docs', route('public', { summary: 'Interactive API documentation', tags }), (c) => c.html(PAGE))
  .get(
    '/api/docs/assets/:file',
    route('public', { summary: 'Assets of the API documentation', tags }),
    async (c) => {
      const file = c.req.param('file')
      if (file === 'init.js') return c.body(INIT, 200, { 'content-type': 'text/javascript; charset=utf-8' })
      const type = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined
      if (!type) throw new ApiError(404, 'NotFound', `no documentation asset "${file}"`)
      const content = await fs.readFile(path.join(SWAGGER_DIR, file))
      return c.body(content, 200, { 'content-type': type, 'cache-control': 'public, max-age=86400' })
    },
  )
