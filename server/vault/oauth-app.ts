import { z } from 'zod'
import type { AuthMethod } from '../../nodes/define.ts'
import type { Executor } from '../db/schema.ts'
import { ApiError } from '../errors.ts'
import { parseCredentials, SET, type SplitCredentials } from './credentials.ts'
import type { Vault } from './vault.ts'

/**
 * What an admin sets on a provider's OAuth app beyond its client id and secret: the API URL
 * (a sandbox, or a test server standing in for the provider) and the app's own fields (Google
 * Ads' developer token), secret ones sealed like the client secret. Every authorization of the
 * provider gets them in its connector's credentials.
 */

export const clientSettings = z.object({
  authorizeUrl: z.url().optional(),
  tokenUrl: z.url().optional(),
  scopes: z.array(z.string()).optional(),
  apiUrl: z.url().optional(),
  app: z.record(z.string(), z.unknown()).optional(),
  appSecrets: z.record(z.string(), z.string()).optional(),
})
export type ClientSettings = z.infer<typeof clientSettings>

export const appSecretPlace = (provider: string, field: string) => ({
  owner: `oauth-client:${provider}`,
  field: `app.${field}`,
})

/** The stored app fields, secrets opened. */
export function openAppFields(vault: Vault, provider: string, settings: ClientSettings): SplitCredentials {
  const secrets = Object.fromEntries(
    Object.entries(settings.appSecrets ?? {}).map(([field, sealed]) => [
      field,
      vault.unseal(appSecretPlace(provider, field), sealed),
    ]),
  )
  return { fields: settings.app ?? {}, secrets }
}

/**
 * The app fields to store: the admin's, validated by the method's `appFields` schema (a secret
 * sent as `{ "set": true }`, or all of them left out, keeps what is stored), secrets sealed.
 * @throws ApiError 400 naming each field to fix, or when the provider takes none
 */
export function sealAppFields(
  vault: Vault,
  provider: string,
  method: AuthMethod,
  input: Record<string, unknown> | undefined,
  stored: ClientSettings,
): Pick<ClientSettings, 'app' | 'appSecrets'> {
  if (!method.appFields) {
    if (input && Object.keys(input).length)
      throw new ApiError(
        400,
        'ValidationFailed',
        `body.appFields: ${provider}'s OAuth app has no extra fields`,
      )
    return {}
  }
  const current = openAppFields(vault, provider, stored)
  const given = input ?? {
    ...current.fields,
    ...Object.fromEntries(Object.keys(current.secrets).map((name) => [name, SET])),
  }
  const { fields, secrets } = parseCredentials({ schema: method.appFields }, given, current, 'body.appFields')
  return {
    app: fields,
    appSecrets: Object.fromEntries(
      Object.entries(secrets).map(([field, value]) => [
        field,
        vault.seal(appSecretPlace(provider, field), value),
      ]),
    ),
  }
}

/** The app fields as an answer shows them: each secret as `{ set: true }`. */
export function publicAppFields(settings: ClientSettings): Record<string, unknown> {
  return {
    ...settings.app,
    ...Object.fromEntries(Object.keys(settings.appSecrets ?? {}).map((name) => [name, SET])),
  }
}

/** What every OAuth2 authorization of the provider adds to its credentials: API URL and app fields. */
export async function appCredentials(
  db: Executor,
  vault: Vault,
  provider: string,
): Promise<Record<string, unknown>> {
  const row = await db
    .selectFrom('oauth_clients')
    .select('settings')
    .where('provider', '=', provider)
    .executeTakeFirst()
  if (!row) return {}
  const settings = clientSettings.parse(JSON.parse(row.settings))
  const { fields, secrets } = openAppFields(vault, provider, settings)
  return { ...(settings.apiUrl ? { apiUrl: settings.apiUrl } : {}), ...fields, ...secrets }
}

/** Re-seals the app's secrets under the vault's current key (a key rotation). */
export function resealAppSecrets(vault: Vault, provider: string, settingsJson: string): string {
  const settings = clientSettings.parse(JSON.parse(settingsJson))
  if (!settings.appSecrets) return settingsJson
  const appSecrets = Object.fromEntries(
    Object.entries(settings.appSecrets).map(([field, sealed]) => {
      const place = appSecretPlace(provider, field)
      return [field, vault.seal(place, vault.unseal(place, sealed))]
    }),
  )
  return JSON.stringify({ ...settings, appSecrets })
}
