import { z } from 'zod'

/** A raw message as the streams and profile-activity lists answer it. */
export const messageJson = z.object({
  seq: z.string(),
  stream: z.string(),
  eventTime: z.string(),
  receivedAt: z.string(),
  lane: z.enum(['realtime', 'bulk', 'job']),
  jobId: z.string().nullable(),
  uploadId: z.string().nullable(),
  recordKey: z.string().nullable(),
  messageId: z.string().nullable(),
  unifiedAt: z.string().nullable(),
  profileId: z.string().nullable(),
  payload: z.unknown(),
})
