import { defineConnector } from '../define.ts'
import { device } from './device.node.ts'

// PLACEHOLDER: replaced by the provider's real connector.
export default defineConnector(device, {
  check: async () => ({ ok: false, message: 'not built yet' }),
  jobs: {},
})
