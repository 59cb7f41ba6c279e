import { defineConnector } from '../define.ts'
import { collect } from './collect.node.ts'

/**
 * Pushed data needs no reading: the collect endpoints store and unify it as it arrives, so a run
 * of this job reads nothing, and its check has nothing outside Sluice to reach.
 */
export default defineConnector(collect, {
  check: async () => ({
    ok: true,
    message: 'Collect API streams receive data pushed to Sluice; nothing to connect',
  }),
  jobs: {
    stream: {
      direction: 'import',
      async *read() {},
    },
  },
})
