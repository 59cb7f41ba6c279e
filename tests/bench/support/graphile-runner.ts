import { run } from 'graphile-worker'

/**
 * One graphile-worker process for the claim benchmark: a no-op task, `GRAPHILE_CONCURRENCY` at
 * once, against `GRAPHILE_DB`. Prints "ready" once it is listening for jobs.
 */
const runner = await run({
  connectionString: process.env.GRAPHILE_DB!,
  concurrency: Number(process.env.GRAPHILE_CONCURRENCY ?? 4),
  noHandleSignals: false,
  pollInterval: 1000,
  taskList: { noop: async () => {} },
  logger: undefined,
})
console.log('ready')
await runner.promise
