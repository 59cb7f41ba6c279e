import { defineConnector } from '../define.ts'
import { hubspot } from './hubspot.node.ts'

// PLACEHOLDER: replaced by the provider's real connector.
export default defineConnector(hubspot, {
  check: async () => ({ ok: false, message: 'not built yet' }),
  jobs: {},
})
