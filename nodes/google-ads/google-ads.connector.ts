import { defineConnector } from '../define.ts'
import { googleAds } from './google-ads.node.ts'

// PLACEHOLDER: replaced by the provider's real connector.
export default defineConnector(googleAds, {
  check: async () => ({ ok: false, message: 'not built yet' }),
  jobs: {},
})
