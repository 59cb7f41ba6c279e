import { Hono } from 'hono'
import { sql } from 'kysely'
import { z } from 'zod'
import { ApiError } from '../errors.ts'
import type { AppEnv } from '../http/context.ts'
import { answer, failure, route } from '../http/route.ts'

export const healthRoutes = new Hono<AppEnv>().get(
  '/api/health',
  route('public', {
    summary: 'Liveness and database reachability',
    tags: ['Health'],
    responses: {
      200: answer(
        z.object({ ok: z.literal(true), version: z.string(), db: z.enum(['sqlite', 'postgres']) }),
        'Healthy',
      ),
      503: failure('The database does not answer'),
    },
  }),
  async (c) => {
    const { db, dialect, version } = c.get('deps')
    try {
      await sql`select 1`.execute(db)
    } catch (error) {
      throw new ApiError(503, 'DatabaseUnavailable', 'the database does not answer', { cause: error })
    }
    return c.json({ ok: true as const, version, db: dialect }, 200)
  },
)
