import { defineConnector } from '../define.ts'
import { hubspotClient } from './hubspot.client.ts'
import { writeAudience } from './hubspot.destination.ts'
import { hubspot } from './hubspot.node.ts'
import { readContacts } from './hubspot.source.ts'

export default defineConnector(hubspot, {
  /** One contact asked for: proves the token, the scope to read contacts and the API URL. */
  async check(ctx) {
    try {
      await hubspotClient(ctx).call('GET', '/crm/v3/objects/contacts?limit=1&archived=false')
      return { ok: true, message: 'HubSpot accepted the token and lists contacts' }
    } catch (error) {
      return { ok: false, message: (error as Error).message }
    }
  },
  jobs: {
    contacts: { direction: 'import', read: readContacts },
    audience: { direction: 'export', write: writeAudience },
  },
})
