import type http from 'node:http'
import type https from 'node:https'
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { z } from 'zod'
import { type ConnectorContext, ConnectorError } from '../define.ts'
import { retryAtOf } from '../http-answers.ts'
import { type S3Credentials, s3Credentials } from './s3.node.ts'

// The SDK warns on stderr, once per process, that versions from 2027 will need Node 22; the
// lockfile pins this one, which supports the Node 20 Sluice runs on, and the warning is not JSON.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

/** The authorization's fields, or a config error saying which one to fix. */
export function credentialsOf(credentials: Record<string, unknown>): S3Credentials {
  const parsed = s3Credentials.safeParse(credentials)
  if (parsed.success) return parsed.data
  throw new ConnectorError('config', `the S3 authorization is incomplete: ${z.prettifyError(parsed.error)}`)
}

/** Where requests go, for messages: the endpoint, or Amazon's regional one. */
export function whereOf(credentials: S3Credentials): string {
  return credentials.endpoint || `s3.${credentials.region}.amazonaws.com`
}

/**
 * A client over the outbound guard's agents. Checksums only when an operation requires them
 * (TOOLCHAIN.md: with the defaults, S3-compatible stores keep a streamed upload's aws-chunked
 * framing as its content). The SDK retries 5xx and throttling itself, twice, before a run fails.
 */
export function s3Client(ctx: Pick<ConnectorContext, 'credentials' | 'nodeAgents'>): {
  client: S3Client
  credentials: S3Credentials
} {
  const credentials = credentialsOf(ctx.credentials)
  const agents = ctx.nodeAgents() as { httpAgent: http.Agent; httpsAgent: https.Agent }
  const client = new S3Client({
    region: credentials.region,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    ...(credentials.endpoint ? { endpoint: credentials.endpoint } : {}),
    forcePathStyle: credentials.pathStyle,
    followRegionRedirects: true,
    maxAttempts: 3,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler({ ...agents, connectionTimeout: 10_000, requestTimeout: 60_000 }),
  })
  return { client, credentials }
}

/** What was being done, for messages and for the permission a refusal names. */
export interface S3Operation {
  action: 's3:ListBucket' | 's3:GetObject' | 's3:PutObject'
  bucket: string
  key?: string
}

const NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT'])

/**
 * A classified error that says what to fix (DESIGN.md §4): a missing bucket or object and a wrong
 * region are config errors; an unknown key, a wrong secret and a refusal are auth errors naming the
 * permission; throttling sleeps until Retry-After; 5xx and the network are retried.
 */
export function classify(error: unknown, credentials: S3Credentials, operation: S3Operation): ConnectorError {
  if (error instanceof ConnectorError) return error
  const where = whereOf(credentials)
  const object = operation.key ? `s3://${operation.bucket}/${operation.key}` : `bucket "${operation.bucket}"`
  const cause = { cause: error }
  if (error instanceof S3ServiceException) {
    const status = error.$metadata?.httpStatusCode ?? 0
    const name = error.name
    if (name === 'NoSuchBucket' || (status === 404 && !operation.key))
      return new ConnectorError(
        'config',
        `bucket "${operation.bucket}" does not exist at ${where}: check its name, and the region and endpoint of the authorization`,
        { ...cause, code: 'NoSuchBucket' },
      )
    if (name === 'NoSuchKey' || status === 404)
      return new ConnectorError(
        'transient',
        `${object} is gone (deleted while Sluice read it); the next run lists again`,
        {
          ...cause,
          code: 'NoSuchKey',
        },
      )
    if (name === 'InvalidAccessKeyId')
      return new ConnectorError(
        'auth',
        `${where} does not know the access key id "${credentials.accessKeyId}": correct it in the Vault`,
        { ...cause, code: name },
      )
    if (name === 'SignatureDoesNotMatch')
      return new ConnectorError(
        'auth',
        `the secret access key does not match the access key id "${credentials.accessKeyId}": re-enter it in the Vault`,
        { ...cause, code: name },
      )
    if (name === 'ExpiredToken' || name === 'InvalidToken')
      return new ConnectorError(
        'auth',
        'the access key has expired: create a new one and update the authorization',
        {
          ...cause,
          code: name,
        },
      )
    if (name === 'RequestTimeTooSkewed')
      return new ConnectorError(
        'transient',
        `${where} says this machine's clock is off: set it right (NTP)`,
        {
          ...cause,
          code: name,
        },
      )
    if (name === 'AuthorizationHeaderMalformed' || name === 'PermanentRedirect' || status === 301)
      return new ConnectorError(
        'config',
        `bucket "${operation.bucket}" is in another region than ${credentials.region}: set the authorization's region to the bucket's`,
        { ...cause, code: 'WrongRegion' },
      )
    if (name === 'AccessDenied' || status === 403) {
      const resource = operation.action === 's3:ListBucket' ? `bucket "${operation.bucket}"` : object
      return new ConnectorError(
        'auth',
        `access denied to ${resource}: grant the key "${credentials.accessKeyId}" ${operation.action} on it`,
        { ...cause, code: 'AccessDenied' },
      )
    }
    if (name === 'SlowDown' || status === 429)
      return new ConnectorError('rate_limited', `${where} asked Sluice to slow down (${status} ${name})`, {
        ...cause,
        retryAt: retryAtOf(headerOf(error, 'retry-after'), new Date()),
        code: 'SlowDown',
      })
    if (status >= 500)
      return new ConnectorError('transient', `${where} failed (${status} ${name}); Sluice retries`, cause)
    return new ConnectorError(
      'config',
      `${where} refused ${operation.action} on ${object}: ${status} ${name}: ${error.message}`,
      {
        ...cause,
        code: name,
      },
    )
  }
  const code = (error as { code?: string } | null)?.code
  if ((code && NETWORK.has(code)) || (error as Error | null)?.name === 'TimeoutError')
    return new ConnectorError(
      'transient',
      `cannot reach ${where} (${code ?? 'timed out'}): check the authorization's endpoint and region, and that the store is up`,
      { ...cause, code: 'Unreachable' },
    )
  const message = error instanceof Error ? error.message : String(error)
  return new ConnectorError('transient', `S3 request to ${where} failed: ${message}`, cause)
}

function headerOf(error: S3ServiceException, name: string): string | null {
  const headers = (error.$response as { headers?: Record<string, string> } | undefined)?.headers
  return headers?.[name] ?? null
}
