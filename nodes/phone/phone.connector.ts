import { defineConnector } from '../define.ts'
import { phone } from './phone.node.ts'

// PLACEHOLDER: replaced by the provider's real connector.
export default defineConnector(phone, {
  check: async () => ({ ok: false, message: 'not built yet' }),
  jobs: {},
})
