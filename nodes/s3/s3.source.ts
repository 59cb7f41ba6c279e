import type { Readable } from 'node:stream'
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3'
import {
  type ConnectorContext,
  ConnectorError,
  parseConfig,
  type ReadBatch,
  type ReadOptions,
} from '../define.ts'
import {
  type FileCheckpoint,
  type FileStore,
  globMatcher,
  type ListedFile,
  readFiles,
} from '../file-source.ts'
import { classify, s3Client } from './s3.client.ts'
import type { S3Credentials } from './s3.node.ts'
import { type S3SourceConfig, s3SourceConfig } from './s3.node.ts'

export const parseSourceConfig = (config: unknown): S3SourceConfig =>
  parseConfig(s3SourceConfig, config, 'S3 source')

/** Every object under the prefix that the glob selects; "folders" (keys ending in /) are not files. */
export async function listFiles(
  client: S3Client,
  credentials: S3Credentials,
  config: Pick<S3SourceConfig, 'bucket' | 'prefix' | 'glob'>,
  signal: AbortSignal,
  limit = Number.POSITIVE_INFINITY,
): Promise<ListedFile[]> {
  const matches = globMatcher(config.glob)
  const files: ListedFile[] = []
  try {
    const pages = paginateListObjectsV2(
      { client, pageSize: Math.min(1000, limit) },
      { Bucket: config.bucket, Prefix: config.prefix || undefined },
    )
    for await (const page of pages) {
      if (signal.aborted) break
      for (const object of page.Contents ?? []) {
        const key = object.Key ?? ''
        if (key.endsWith('/') || !matches(key.slice(config.prefix.length))) continue
        files.push({
          path: key,
          version: object.ETag ?? `${object.Size}:${object.LastModified?.getTime()}`,
          modifiedMs: object.LastModified?.getTime() ?? 0,
          size: object.Size ?? 0,
        })
      }
      if (files.length >= limit) break
    }
  } catch (error) {
    throw classify(error, credentials, { action: 's3:ListBucket', bucket: config.bucket })
  }
  return files
}

/** The bucket as a file store: each file is one GetObject, streamed. */
function bucketStore(
  client: S3Client,
  credentials: S3Credentials,
  bucket: string,
  signal: AbortSignal,
): FileStore {
  return {
    nameOf: (key) => `s3://${bucket}/${key}`,
    async open(file) {
      try {
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: file.path }), {
          abortSignal: signal,
        })
        return object.Body as Readable
      } catch (error) {
        throw classify(error, credentials, { action: 's3:GetObject', bucket, key: file.path })
      }
    },
  }
}

/**
 * Lists the bucket, then reads the files that are new or changed since the checkpoint, in the
 * order they changed, a batch of rows at a time (file-source.ts). A failure while a file streams
 * is classified like one of the requests.
 */
export async function* readBucket(
  ctx: ConnectorContext<S3SourceConfig>,
  options: ReadOptions<FileCheckpoint>,
): AsyncGenerator<ReadBatch<FileCheckpoint>> {
  const config = parseSourceConfig(ctx.config)
  const { client, credentials } = s3Client(ctx)
  try {
    const files = await listFiles(client, credentials, config, ctx.signal)
    const store = bucketStore(client, credentials, config.bucket, ctx.signal)
    try {
      yield* readFiles(config, files, store, { ...options, signal: ctx.signal })
    } catch (error) {
      if (ctx.signal.aborted) throw new ConnectorError('transient', 'stopped', { cause: error })
      throw classify(error, credentials, { action: 's3:GetObject', bucket: config.bucket })
    }
  } finally {
    client.destroy()
  }
}
