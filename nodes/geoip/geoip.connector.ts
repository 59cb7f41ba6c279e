import { defineConnector } from '../define.ts'
import { geoip } from './geoip.node.ts'

// PLACEHOLDER: replaced by the provider's real connector.
export default defineConnector(geoip, {
  check: async () => ({ ok: false, message: 'not built yet' }),
  jobs: {},
})
