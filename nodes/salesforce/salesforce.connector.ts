import { defineConnector } from '../define.ts'
import { salesforce } from './salesforce.node.ts'

// PLACEHOLDER: replaced by the provider's real connector.
export default defineConnector(salesforce, {
  check: async () => ({ ok: false, message: 'not built yet' }),
  jobs: {},
})
