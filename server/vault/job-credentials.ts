import { ConnectorError } from '../../nodes/define.ts'
import { findAuthorization } from '../db/authorizations.repo.ts'
import type { Authorization } from '../db/schema.ts'
import type { Deps } from '../http/context.ts'
import { VaultError } from './cipher.ts'
import { connectorCredentials } from './credentials.ts'
import { freshTokens } from './oauth.ts'
import { appCredentials } from './oauth-app.ts'

export interface JobCredentials {
  credentials: Record<string, unknown>
  /** OAuth2: fresh credentials after the provider refused the current ones (ctx.reauthorize). */
  reauthorize?: () => Promise<Record<string, unknown>>
}

/**
 * The credentials a job's (or a preview's, or a connection test's) connector gets: none without
 * an authorization, else the authorization's, opened — OAuth2 tokens refreshed first when they
 * are about to expire. What makes them unusable is a classified connector error the job's log
 * shows: gone (config), marked broken by a refused refresh (auth: reconnect), or unreadable under
 * this master key (config, naming the key).
 */
export async function credentialsFor(
  deps: Pick<Deps, 'db' | 'vault' | 'clock' | 'config'>,
  authorizationId: string | null,
): Promise<JobCredentials> {
  if (!authorizationId) return { credentials: {} }
  const row = await findAuthorization(deps.db, authorizationId)
  if (!row)
    throw new ConnectorError(
      'config',
      `the authorization ${authorizationId} no longer exists: wire another one to this node and deploy`,
    )
  return credentialsOf(deps, row)
}

export async function credentialsOf(
  deps: Pick<Deps, 'db' | 'vault' | 'clock' | 'config'>,
  stored: Authorization,
): Promise<JobCredentials> {
  const open = (row: Authorization) => {
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
  if (stored.method !== 'oauth2') return { credentials: open(stored) }
  // A broken or unreadable authorization stops here, before any refresh is tried.
  open(stored)
  let row = await freshTokens(deps, stored)
  // The admin's API URL and app fields (a developer token) come with every authorization.
  const app = await appCredentials(deps.db, deps.vault, stored.provider).catch((error: unknown) => {
    if (error instanceof VaultError)
      throw new ConnectorError('config', `the ${stored.provider} OAuth app: ${error.message}`)
    throw error
  })
  let credentials = { ...app, ...open(row) }
  return {
    credentials,
    reauthorize: async () => {
      row = await freshTokens(deps, row, String(credentials.accessToken))
      credentials = { ...app, ...open(row) }
      return credentials
    },
  }
}
