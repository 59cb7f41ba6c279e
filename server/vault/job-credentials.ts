import { ConnectorError } from '../../nodes/define.ts'
import { findAuthorization } from '../db/authorizations.repo.ts'
import type { Deps } from '../http/context.ts'
import { VaultError } from './cipher.ts'
import { connectorCredentials } from './credentials.ts'

/**
 * The credentials a job's (or a preview's) connector gets: none without an authorization, else
 * the authorization's, opened. What makes them unusable is a classified connector error the
 * job's log shows: gone (config), marked broken by a refused refresh (auth: reconnect), or
 * unreadable under this master key (config, naming the key).
 */
export async function credentialsFor(
  deps: Pick<Deps, 'db' | 'vault'>,
  authorizationId: string | null,
): Promise<Record<string, unknown>> {
  if (!authorizationId) return {}
  const row = await findAuthorization(deps.db, authorizationId)
  if (!row)
    throw new ConnectorError(
      'config',
      `the authorization ${authorizationId} no longer exists: wire another one to this node and deploy`,
    )
  if (row.error)
    throw new ConnectorError('auth', `authorization "${row.name}" stopped working: ${row.error}`, {
      code: 'reconnect',
    })
  try {
    return connectorCredentials(deps.vault, row)
  } catch (error) {
    if (error instanceof VaultError)
      throw new ConnectorError('config', `authorization "${row.name}": ${error.message}`)
    throw error
  }
}
