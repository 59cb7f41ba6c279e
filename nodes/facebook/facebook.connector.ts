import { defineConnector } from '../define.ts'
import { facebookAudiences } from './facebook.node.ts'

// PLACEHOLDER: replaced by the provider's real connector.
export default defineConnector(facebookAudiences, {
  check: async () => ({ ok: false, message: 'not built yet' }),
  jobs: {},
})
