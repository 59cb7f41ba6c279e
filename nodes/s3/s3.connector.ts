import { randomBytes } from 'node:crypto'
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3'
import { ConnectorError, defineConnector } from '../define.ts'
import { classify, credentialsOf, s3Client, whereOf } from './s3.client.ts'
import { keyOf, parseDestinationConfig, writeBucket } from './s3.destination.ts'
import { s3 } from './s3.node.ts'
import { listFiles, parseSourceConfig, readBucket } from './s3.source.ts'

/** Config keys only a destination has: a check with one of them tests writing. */
const DESTINATION_KEYS = ['filePrefix']

export default defineConnector(s3, {
  /**
   * Without a config: the key is known and signs correctly (listing buckets; a key allowed no
   * more than its own bucket still passes). With a source's config: the first matching file can
   * be listed and read. With a destination's: a probe object can be written (and is removed).
   */
  async check(ctx) {
    let where = 'S3'
    try {
      const { client, credentials } = s3Client(ctx)
      where = whereOf(credentials)
      try {
        const config = ctx.config
        if (!config) {
          try {
            const listed = await client.send(new ListBucketsCommand({}))
            return {
              ok: true,
              message: `Connected to ${where}; the key sees ${listed.Buckets?.length ?? 0} buckets`,
            }
          } catch (error) {
            const classified = classify(error, credentials, { action: 's3:ListBucket', bucket: '*' })
            if (classified.code !== 'AccessDenied') throw classified
            return {
              ok: true,
              message: `Connected to ${where}; the key may not list buckets, so test it with a job's bucket`,
            }
          }
        }
        if (DESTINATION_KEYS.some((key) => key in config)) {
          const destination = parseDestinationConfig(config)
          const probe = keyOf(destination.prefix, `.sluice-check-${randomBytes(6).toString('hex')}`)
          try {
            await client.send(new PutObjectCommand({ Bucket: destination.bucket, Key: probe, Body: '' }))
          } catch (error) {
            throw classify(error, credentials, {
              action: 's3:PutObject',
              bucket: destination.bucket,
              key: probe,
            })
          }
          await client
            .send(new DeleteObjectCommand({ Bucket: destination.bucket, Key: probe }))
            .catch(() => {})
          return {
            ok: true,
            message: `Sluice can write files to s3://${destination.bucket}/${destination.prefix}`,
          }
        }
        const source = parseSourceConfig(config)
        const files = await listFiles(client, credentials, source, ctx.signal, 1000)
        const first = files[0]
        if (!first)
          return {
            ok: true,
            message: `Connected to bucket "${source.bucket}"; no file under "${source.prefix}" matches ${source.glob} yet`,
          }
        try {
          const read = await client.send(
            new GetObjectCommand({ Bucket: source.bucket, Key: first.path, Range: 'bytes=0-0' }),
          )
          await read.Body?.transformToByteArray()
        } catch (error) {
          throw classify(error, credentials, {
            action: 's3:GetObject',
            bucket: source.bucket,
            key: first.path,
          })
        }
        return {
          ok: true,
          message: `Connected to bucket "${source.bucket}"; ${files.length}${files.length >= 1000 ? '+' : ''} matching files, and s3://${source.bucket}/${first.path} can be read`,
        }
      } finally {
        client.destroy()
      }
    } catch (error) {
      if (error instanceof ConnectorError) return { ok: false, message: error.message }
      try {
        return {
          ok: false,
          message: classify(error, credentialsOf(ctx.credentials), { action: 's3:ListBucket', bucket: '*' })
            .message,
        }
      } catch {
        return { ok: false, message: `${where}: ${error instanceof Error ? error.message : String(error)}` }
      }
    }
  },
  jobs: {
    files: { direction: 'import', read: readBucket },
    file: { direction: 'export', write: writeBucket },
  },
})
