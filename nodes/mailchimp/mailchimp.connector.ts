import { z } from 'zod'
import { defineConnector } from '../define.ts'
import { call, sessionOf } from './mailchimp.client.ts'
import { writeAudience } from './mailchimp.destination.ts'
import { mailchimp, membersConfig } from './mailchimp.node.ts'
import { readMembers } from './mailchimp.source.ts'

const root = z.looseObject({ account_name: z.string().optional(), email: z.string().optional() })
const list = z.looseObject({
  name: z.string().optional(),
  stats: z.looseObject({ member_count: z.number().optional() }).optional(),
})
// The jobs' own rule: an ID like `..` must not turn the audience check into a call to the API root.
const withList = z.looseObject({ listId: membersConfig.shape.listId })

export default defineConnector(mailchimp, {
  /**
   * The API root answers with the account the key belongs to; with a job's config, the audience
   * is looked up too, so a wrong Audience ID shows before the first run.
   * https://mailchimp.com/developer/marketing/api/root/list-api-root-resources/
   * https://mailchimp.com/developer/marketing/api/lists/get-list-info/
   */
  async check(ctx) {
    try {
      const session = sessionOf(ctx.credentials)
      const account = root.parse(
        (await call(ctx, session, '/', { query: { fields: 'account_name,email' } })) ?? {},
      )
      let message = `connected to the Mailchimp account ${account.account_name ?? '(unnamed)'}`
      const job = withList.safeParse(ctx.config ?? {})
      if (!job.success && ctx.config?.listId !== undefined)
        return { ok: false, message: `invalid Audience ID: ${z.prettifyError(job.error)}` }
      if (job.success) {
        const found = list.parse(
          (await call(ctx, session, `/lists/${encodeURIComponent(job.data.listId)}`, {
            query: { fields: 'id,name,stats.member_count' },
            notFound: `Mailchimp has no audience with ID "${job.data.listId}": check the Audience ID`,
          })) ?? {},
        )
        const count = found.stats?.member_count
        message += `; audience ${found.name ?? job.data.listId}${count === undefined ? '' : ` has ${count} members`}`
      }
      return { ok: true, message }
    } catch (error) {
      return { ok: false, message: (error as Error).message }
    }
  },
  jobs: {
    members: { direction: 'import', read: readMembers },
    audience: { direction: 'export', write: writeAudience },
  },
})
