import { S3ServiceException } from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { classify } from '../../nodes/s3/s3.client.ts'
import { s3Credentials } from '../../nodes/s3/s3.node.ts'

/**
 * The answers s3rver cannot give (it accepts any SigV4 signature and has no bucket policies), as
 * the SDK raises them for Amazon S3's documented error codes
 * (docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
 */
const credentials = s3Credentials.parse({
  accessKeyId: 'AKIAEXAMPLE',
  secretAccessKey: 'x',
  region: 'eu-west-1',
})
const answer = (name: string, status: number, headers: Record<string, string> = {}) => {
  const error = new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: `${name} from S3`,
  })
  // As the SDK's deserializer attaches the raw answer: a hidden field.
  Object.defineProperty(error, '$response', { value: { statusCode: status, headers }, enumerable: false })
  return error
}
const list = { action: 's3:ListBucket', bucket: 'acme' } as const
const get = { action: 's3:GetObject', bucket: 'acme', key: 'crm/a.csv' } as const

describe('S3 error classification', () => {
  it('names the permission a refusal needs, and the fix for bad keys and regions', () => {
    expect(classify(answer('AccessDenied', 403), credentials, list)).toMatchObject({
      kind: 'auth',
      message: 'access denied to bucket "acme": grant the key "AKIAEXAMPLE" s3:ListBucket on it',
    })
    expect(classify(answer('AccessDenied', 403), credentials, get)).toMatchObject({
      kind: 'auth',
      message: 'access denied to s3://acme/crm/a.csv: grant the key "AKIAEXAMPLE" s3:GetObject on it',
    })
    expect(classify(answer('SignatureDoesNotMatch', 403), credentials, list)).toMatchObject({
      kind: 'auth',
      message: expect.stringContaining('re-enter it in the Vault'),
    })
    expect(classify(answer('PermanentRedirect', 301), credentials, list)).toMatchObject({
      kind: 'config',
      message: expect.stringContaining("set the authorization's region to the bucket's"),
    })
    expect(classify(answer('NoSuchBucket', 404), credentials, list)).toMatchObject({
      kind: 'config',
      message: expect.stringContaining('bucket "acme" does not exist at s3.eu-west-1.amazonaws.com'),
    })
  })

  it('sleeps until Retry-After when throttled, and retries 5xx', () => {
    const before = Date.now()
    const slow = classify(answer('SlowDown', 503, { 'retry-after': '120' }), credentials, get)
    expect(slow.kind).toBe('rate_limited')
    expect(slow.retryAt!.getTime() - before).toBeGreaterThanOrEqual(119_000)
    expect(slow.retryAt!.getTime() - before).toBeLessThan(125_000)
    expect(classify(answer('InternalError', 500), credentials, get).kind).toBe('transient')
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    expect(classify(refused, credentials, get)).toMatchObject({
      kind: 'transient',
      message: expect.stringMatching(/^cannot reach s3\.eu-west-1\.amazonaws\.com \(ECONNREFUSED\)/),
    })
  })
})
