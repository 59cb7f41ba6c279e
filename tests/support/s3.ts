import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import S3rver from 's3rver'
import { freePort } from './postgres.ts'

/** s3rver's built-in key pair; any other key is unknown to it, any other secret a bad signature. */
export const S3_KEY = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }

export interface Bucketeer {
  endpoint: string
  client: S3Client
  /** Credentials of an S3 authorization for this server. */
  credentials(overrides?: Record<string, unknown>): Record<string, unknown>
  put(
    bucket: string,
    key: string,
    body: string | Buffer,
    options?: { gzip?: boolean; modified?: Date },
  ): Promise<void>
  /** Sets an object's Last-Modified (s3rver reads it from the stored file's mtime). */
  backdate(bucket: string, key: string, modified: Date): void
  text(bucket: string, key: string): Promise<string>
  keys(bucket: string, prefix?: string): Promise<{ key: string; etag: string; size: number }[]>
  /** A loopback relay to the server that notes each request's method and path (multipart parts show). */
  relay(): Promise<{ endpoint: string; requests: string[]; close(): Promise<void> }>
  stop(): Promise<void>
}

/**
 * A real S3 API on loopback (s3rver over a temp folder) for connector tests. The client uploads
 * with checksums only when required (TOOLCHAIN.md: otherwise the aws-chunked framing is stored).
 */
export async function startS3(buckets: string[]): Promise<Bucketeer> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-s3-'))
  const port = await freePort()
  const server = new S3rver({
    address: '127.0.0.1',
    port,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  })
  await server.run()
  const endpoint = `http://127.0.0.1:${port}`
  const client = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    // A copy: the SDK marks the object it is given (`$source`).
    credentials: { ...S3_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
  const backdate = (bucket: string, key: string, modified: Date) => {
    const parts = key.split('/')
    const file = path.join(directory, bucket, ...parts.slice(0, -1), `${parts.at(-1)}._S3rver_object`)
    fs.utimesSync(file, modified, modified)
  }
  return {
    endpoint,
    client,
    credentials: (overrides = {}) => ({
      ...S3_KEY,
      region: 'us-east-1',
      endpoint,
      pathStyle: true,
      ...overrides,
    }),
    async put(bucket, key, body, options = {}) {
      const bytes = options.gzip ? gzipSync(body) : body
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }))
      if (options.modified) backdate(bucket, key, options.modified)
    },
    backdate,
    async text(bucket, key) {
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
      return (await object.Body?.transformToString('utf8')) ?? ''
    },
    async keys(bucket, prefix) {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))
      return (listed.Contents ?? []).map((object) => ({
        key: object.Key ?? '',
        etag: object.ETag ?? '',
        size: object.Size ?? 0,
      }))
    },
    async relay() {
      const requests: string[] = []
      const server = http.createServer((incoming, outgoing) => {
        requests.push(`${incoming.method} ${incoming.url}`)
        const forward = http.request(
          { host: '127.0.0.1', port, method: incoming.method, path: incoming.url, headers: incoming.headers },
          (answer) => {
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
            answer.pipe(outgoing)
          },
        )
        forward.on('error', () => outgoing.destroy())
        incoming.pipe(forward)
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      const { port: relayPort } = server.address() as AddressInfo
      return {
        endpoint: `http://127.0.0.1:${relayPort}`,
        requests,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
      }
    },
    async stop() {
      client.destroy()
      await server.close()
      fs.rmSync(directory, { recursive: true, force: true })
    },
  }
}
