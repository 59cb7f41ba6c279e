import { defineConnector } from '../define.ts'
import { mailchimp } from './mailchimp.node.ts'

// PLACEHOLDER: replaced by the provider's real connector.
export default defineConnector(mailchimp, {
  check: async () => ({ ok: false, message: 'not built yet' }),
  jobs: {},
})
