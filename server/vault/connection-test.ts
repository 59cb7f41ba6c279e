import { findConnector } from '../../nodes/connectors.ts'
import type { CheckResult } from '../../nodes/define.ts'
import type { Authorization } from '../db/schema.ts'
import { throttleFor } from '../executor/budgets.ts'
import type { Deps } from '../http/context.ts'
import { outboundContext } from '../net/outbound.ts'
import { credentialsOf } from './job-credentials.ts'
import { scrubSecrets } from './scrubber.ts'

const CHECK_TIMEOUT_MS = 20_000

/**
 * Runs the provider connector's `check` with the authorization's credentials (and a job config,
 * when one is given). Never throws: what goes wrong is the answer, with its secrets scrubbed —
 * a provider that echoes the key it refused must not put it on the user's screen.
 */
export async function testConnection(
  deps: Pick<Deps, 'db' | 'vault' | 'clock' | 'config'>,
  row: Authorization,
  config: Record<string, unknown> | null = null,
): Promise<CheckResult> {
  const connector = findConnector(row.provider)
  if (!connector) return { ok: false, message: `this Sluice has no connector for ${row.provider}` }
  let result: CheckResult
  try {
    const { credentials, reauthorize } = await credentialsOf(deps, row)
    const signal = AbortSignal.timeout(CHECK_TIMEOUT_MS)
    // A connection test spends the authorization's request budget like its jobs do.
    const throttle = throttleFor(row.provider, row.id)
    result = await connector.check({
      config,
      credentials,
      ...(reauthorize ? { reauthorize } : {}),
      signal,
      now: () => deps.clock.now(),
      sleep: (ms) => deps.clock.sleep(ms, signal),
      dataDir: deps.config.dataDir,
      ...outboundContext(deps.config),
      ...(throttle ? { throttle } : {}),
    })
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    result = { ok: false, message: `the connection test failed: ${message}` }
  }
  return { ok: result.ok === true, message: scrubSecrets(String(result.message)) }
}
