import type { MiddlewareHandler } from 'hono'
import { type DescribeRouteOptions, resolver, uniqueSymbol } from 'hono-openapi'
import type { z } from 'zod'
import type { Role } from '../db/schema.ts'
import type { Principal } from '../db/sessions.repo.ts'
import { RANK } from '../db/tokens.repo.ts'
import { ApiError } from '../errors.ts'
import type { AppEnv } from './context.ts'

/** Who may call a route: anyone, a data key (collect endpoints), or a user of at least a role. */
export type Access = 'public' | 'datakey' | Role

/** Marks the middleware that carries a route's access rule; the route-table test looks for it. */
export const ACCESS = Symbol.for('sluice.access')

const errorResponse = (description: string) => ({
  description,
  content: {
    'application/json': {
      schema: {
        type: 'object' as const,
        properties: {
          error: {
            type: 'object' as const,
            properties: {
              code: { type: 'string' as const },
              message: { type: 'string' as const },
              details: {},
            },
            required: ['code', 'message'],
          },
        },
      },
    },
  },
})

/**
 * Declares a route's access rule and its OpenAPI description in one middleware, so no route can
 * have one without the other.
 * @example app.get('/api/jobs', route('viewer', { summary: 'List jobs', tags: ['Jobs'] }), handler)
 */
export function route(access: Access, spec: DescribeRouteOptions): MiddlewareHandler<AppEnv> {
  const guard: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (access === 'datakey') {
      if (!c.get('dataKey')) {
        throw new ApiError(
          401,
          'Unauthenticated',
          'send a data key as "Authorization: <key>", a Bearer token or ?access_token=',
        )
      }
    } else if (access !== 'public') requireRole(c.get('principal'), access)
    await next()
  }
  const responses = {
    ...(access === 'public'
      ? {}
      : { 401: errorResponse('Not signed in'), 403: errorResponse('Role too low') }),
    400: errorResponse('Invalid input'),
    ...spec.responses,
  }
  const security =
    access === 'public' ? [] : access === 'datakey' ? [{ dataKey: [] }] : [{ session: [] }, { bearer: [] }]
  return Object.assign(guard, {
    [ACCESS]: access,
    [uniqueSymbol]: { spec: { security, ...spec, responses, 'x-access': access } },
  })
}

/** Throws 401 without a principal and 403 when its role is below `role`. */
export function requireRole(principal: Principal | undefined, role: Role): Principal {
  if (!principal)
    throw new ApiError(
      401,
      'Unauthenticated',
      'sign in, or send an API token as "Authorization: Bearer <token>"',
    )
  if (RANK[principal.role] < RANK[role]) {
    throw new ApiError(
      403,
      'Forbidden',
      `this needs the ${role} role; you are signed in as ${principal.role}`,
    )
  }
  return principal
}

/**
 * A documented JSON answer for `route(..., { responses })`, generated from the zod schema the
 * route's mapper is typed by, so the document and the code cannot drift apart.
 * @example route('viewer', { summary: 'A job', responses: { 200: answer(jobDetailJson, 'The job') } })
 */
export function answer(schema: z.ZodType, description: string) {
  return { description, content: { 'application/json': { schema: resolver(schema) } } }
}

/** A documented error answer (404, 409, 422, 429) with the one error shape. */
export const failure = errorResponse
