import { z } from 'zod'
import { jobConnector, registerConnector } from '../../nodes/connectors.ts'
import { type ConnectorContext, defineConnector, defineProvider } from '../../nodes/define.ts'
import type { JobNode } from '../../nodes/pipeline.ts'

/**
 * A test-only enrichment: scores people by their email (its length), and remembers every profile
 * it was asked about. Profiles without an email lack its input and get nothing back.
 */
export const scorer = defineProvider({
  id: 'scorer',
  title: 'Scoring test enrichment',
  category: 'enrichment',
  icon: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="4"/></svg>',
  description: 'Scores people by email.',
  auth: [{ id: 'none', title: 'No authorization', schema: z.strictObject({}) }],
  jobTypes: [
    {
      id: 'score',
      title: 'Score',
      direction: 'enrichment',
      description: 'Adds `score`.',
      config: z.strictObject({}),
      requiresAuthorization: false,
      defaultCadence: { every: '1h' },
      resetsCheckpoint: [],
    },
  ],
})

/** Every profile id each job asked about, in order. */
export const asked = new Map<string, string[]>()

export function registerScorer(): void {
  if (jobConnector('scorer', 'score')) return
  registerConnector(
    defineConnector(scorer, {
      check: async () => ({ ok: true, message: 'scorer: nothing to check' }),
      jobs: {
        score: {
          direction: 'enrichment',
          async enrich(
            ctx: ConnectorContext,
            profiles: { id: string; attributes: Record<string, unknown> }[],
          ) {
            const log = asked.get(ctx.jobId ?? '') ?? []
            asked.set(ctx.jobId ?? '', log)
            log.push(...profiles.map((profile) => profile.id))
            return profiles
              .filter((profile) => typeof profile.attributes.email === 'string')
              .map((profile) => ({
                id: profile.id,
                attributes: { score: String(profile.attributes.email).length },
              }))
          },
        },
      },
    }),
  )
}

export const scorerNode = (id: string): JobNode => ({
  id,
  kind: 'enrichment',
  provider: 'scorer',
  jobType: 'score',
  name: `Scorer ${id}`,
  position: { x: 0, y: 0 },
  data: { config: {}, cadence: { every: '1h' } },
})
