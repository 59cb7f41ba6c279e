import { defineConnector } from '../define.ts'
import { googleSheets } from './google-sheets.node.ts'

// PLACEHOLDER: replaced by the provider's real connector.
export default defineConnector(googleSheets, {
  check: async () => ({ ok: false, message: 'not built yet' }),
  jobs: {},
})
