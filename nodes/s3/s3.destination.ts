import { createReadStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { HeadObjectCommand, NotFound, type S3Client } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { type ConnectorContext, type ExportBatch, parseConfig, type WriteAck } from '../define.ts'
import { runFileName, spooledWrite } from '../file-export/file-export.spool.ts'
import { classify, s3Client } from './s3.client.ts'
import { type S3Credentials, type S3DestinationConfig, s3DestinationConfig } from './s3.node.ts'

/** Parts of a multipart upload: S3's minimum is 5 MiB; files up to one part go up in one PUT. */
export const PART_SIZE = 8 * 1024 * 1024

export const parseDestinationConfig = (config: unknown): S3DestinationConfig =>
  parseConfig(s3DestinationConfig, config, 'S3 destination')

/** The key a run's file gets: the prefix as a folder, then the file's name. */
export function keyOf(prefix: string, name: string): string {
  if (!prefix) return name
  return prefix.endsWith('/') ? `${prefix}${name}` : `${prefix}/${name}`
}

const CONTENT_TYPE = { csv: 'text/csv; charset=utf-8', jsonl: 'application/x-ndjson' } as const

/** Uploads a local file, in parts when it is larger than one (lib-storage streams it). */
export async function uploadFile(
  client: S3Client,
  credentials: S3Credentials,
  target: { bucket: string; key: string; format: 'csv' | 'jsonl' },
  file: string,
): Promise<void> {
  const upload = new Upload({
    client,
    params: {
      Bucket: target.bucket,
      Key: target.key,
      Body: createReadStream(file),
      ContentType: CONTENT_TYPE[target.format],
    },
    partSize: PART_SIZE,
    queueSize: 2,
    // A failed multipart upload is aborted, so no invisible parts stay billed in the bucket.
    leavePartsOnError: false,
  })
  try {
    await upload.done()
  } catch (error) {
    throw classify(error, credentials, { action: 's3:PutObject', bucket: target.bucket, key: target.key })
  }
}

/**
 * One run writes one object, `<prefix>/<filePrefix>-<time>-<random>.<format>`, once complete:
 * acknowledged batches are spooled (and fsynced) in the data folder, and the finished file goes up
 * at the end of the run — a crash leaves the spool, which the job's next run uploads.
 */
export async function* writeBucket(
  ctx: ConnectorContext<S3DestinationConfig>,
  batches: AsyncIterable<ExportBatch>,
): AsyncGenerator<WriteAck> {
  const config = parseDestinationConfig(ctx.config)
  if (ctx.signal.aborted) return
  const { client, credentials } = s3Client(ctx)
  const spoolDir = join(ctx.dataDir, 'spool', 's3')
  try {
    await mkdir(spoolDir, { recursive: true })
    const target = (name: string) => ({
      bucket: config.bucket,
      key: keyOf(config.prefix, name),
      format: config.format,
    })
    yield* spooledWrite(ctx, batches, {
      spoolDir,
      finalName: runFileName(config.filePrefix, config.format, ctx.now()),
      format: config.format,
      deliver: (file, name) => uploadFile(client, credentials, target(name), file),
      delivered: async (name) => {
        try {
          await client.send(new HeadObjectCommand({ Bucket: config.bucket, Key: keyOf(config.prefix, name) }))
          return true
        } catch (error) {
          if (error instanceof NotFound) return false
          throw classify(error, credentials, { action: 's3:GetObject', bucket: config.bucket, key: name })
        }
      },
    })
  } finally {
    client.destroy()
  }
}
