import { OAuth2Server } from 'oauth2-mock-server'
import type { KeyedApi } from './keyed-api.ts'

export interface TokenResponse {
  statusCode: number
  body: Record<string, unknown>
}

/**
 * An OAuth2 provider on loopback (`oauth2-mock-server`) whose access tokens the keyed API takes.
 * Each token is numbered (two JWTs issued within a second are otherwise the same string), every
 * grant is recorded, and `adjust` may change an answer (refuse a revoked refresh, shorten expiry).
 */
export async function startOAuthProvider(
  api: () => Pick<KeyedApi, 'keys'>,
  adjust: (response: TokenResponse, grant: Record<string, string>) => void = () => {},
) {
  const server = new OAuth2Server()
  await server.issuer.keys.generate('RS256')
  await server.start(0, '127.0.0.1')
  const grants: string[] = []
  server.service.on(
    'beforeResponse',
    (response: TokenResponse, request: { body: Record<string, string> }) => {
      grants.push(request.body.grant_type!)
      adjust(response, request.body)
      if (response.statusCode !== 200) return
      response.body.access_token = `${String(response.body.access_token)}.${grants.length}`
      api().keys.add(String(response.body.access_token))
    },
  )
  return {
    grants,
    authorizeUrl: `${server.issuer.url}/authorize`,
    tokenUrl: `${server.issuer.url}/token`,
    stop: () => server.stop(),
  }
}
