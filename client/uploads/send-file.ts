import { ApiRequestError } from '../lib/api.ts'
import { contentTypeOf } from './file-header.ts'

/** The collect API's answer to a bulk file. */
export interface BulkAnswer {
  status: number
  message: string
  data: {
    message_count: number
    rejected_count: number
    duplicate_count: number
    dryrun: boolean
    droperrors: boolean
    upload_id: string | null
    errors: { row: number; reason: string }[]
  }
}

/**
 * POSTs `file` to the stream's upload endpoint with XMLHttpRequest, which (unlike fetch) reports
 * how much of the body has been sent: `onProgress(sent, total)`.
 */
export function sendFile(
  stream: string,
  file: File,
  query: Record<string, string>,
  onProgress: (sent: number, total: number) => void,
): Promise<BulkAnswer> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest()
    const params = new URLSearchParams({ ...query, filename: file.name })
    request.open('POST', `/api/streams/${encodeURIComponent(stream)}/uploads?${params}`)
    request.setRequestHeader('content-type', contentTypeOf(file.name))
    request.upload.onprogress = (event) =>
      onProgress(event.loaded, event.lengthComputable ? event.total : file.size)
    request.onload = () => {
      let body: unknown = null
      try {
        body = JSON.parse(request.responseText)
      } catch {
        // Not JSON: the status says enough.
      }
      if (request.status === 200) return resolve(body as BulkAnswer)
      const error = (body as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error
      reject(
        new ApiRequestError(
          request.status,
          error?.code ?? 'UploadFailed',
          error?.message ?? `the upload failed (HTTP ${request.status})`,
          error?.details,
        ),
      )
    }
    request.onerror = () => reject(new Error('the connection to Sluice failed during the upload'))
    request.send(file)
  })
}
