import { z } from 'zod'
import { defineConnector } from '../define.ts'
import { salesforceClient } from './salesforce.client.ts'
import { API_VERSION, contactsConfig, leadsConfig, salesforce } from './salesforce.node.ts'
import { readObject } from './salesforce.source.ts'

const limits = z.looseObject({
  DailyApiRequests: z.looseObject({ Max: z.number(), Remaining: z.number() }).optional(),
})

export default defineConnector(salesforce, {
  /**
   * The org's limits: proves the session and the API, and says how many of today's requests are left.
   * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_limits.htm
   */
  async check(ctx) {
    try {
      const answer = limits.safeParse(await salesforceClient(ctx).get(`/services/data/${API_VERSION}/limits`))
      const daily = answer.success ? answer.data.DailyApiRequests : undefined
      return {
        ok: true,
        message: daily
          ? `Salesforce accepted the session; ${daily.Remaining.toLocaleString('en')} of ${daily.Max.toLocaleString('en')} daily API requests left`
          : 'Salesforce accepted the session',
      }
    } catch (error) {
      return { ok: false, message: (error as Error).message }
    }
  },
  jobs: {
    contacts: { direction: 'import', read: readObject('Contact', contactsConfig) },
    leads: { direction: 'import', read: readObject('Lead', leadsConfig) },
  },
})
