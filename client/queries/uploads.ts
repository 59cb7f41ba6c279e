import type { Upload, UploadStatus } from '../data/types.ts'
import { useCursorList } from './list.ts'

export type UploadFilter = {
  stream: string
  status: UploadStatus | ''
  q: string
}

/** Uploads still moving: their counts change until they end unified, rejected or failed. */
export const inProgress = (upload: Upload) => upload.status === 'receiving' || upload.status === 'published'

const POLL_MS = 2_000

/** Bulk uploads, newest first; polled every 2 s while any listed upload is in progress. */
export function useUploads(filter: UploadFilter) {
  return useCursorList<Upload>(['uploads'], '/api/uploads', filter, {
    refetchInterval: (pages) => (pages.some((page) => page.items.some(inProgress)) ? POLL_MS : false),
  })
}
