import { ACCESS, type Access } from '../../server/http/route.ts'

export interface RouteRule {
  method: string
  path: string
  access: Access | undefined
}

/** The app's routes from its router, each with the access rule its middleware declares. */
export function routeTable(app: {
  routes: { method: string; path: string; handler: unknown }[]
}): RouteRule[] {
  const table = new Map<string, RouteRule>()
  for (const entry of app.routes) {
    if (entry.method === 'ALL') continue // middleware and the /api catch-all
    const key = `${entry.method} ${entry.path}`
    const rule = table.get(key) ?? { method: entry.method, path: entry.path, access: undefined }
    const access = (entry.handler as Record<symbol, Access | undefined>)[ACCESS]
    if (access) rule.access = access
    table.set(key, rule)
  }
  return [...table.values()]
}

/** A route path with each parameter filled in (`/api/jobs/:id` → `/api/jobs/x-id`). */
export const concrete = (path: string) => path.replace(/:(\w+)/g, 'x-$1')
