import type { PipelineDocument } from '../../nodes/pipeline.ts'

/**
 * A pipeline as a file: its name, description and document. Documents reference Vault
 * authorizations by id and never hold a secret, so the file carries none. Its schema (zod) is in
 * pipeline-file.schema.ts and loads on the first import, not before the canvas draws.
 */
export interface PipelineFile {
  sluice: 'pipeline'
  name: string
  description?: string | null | undefined
  document: PipelineDocument
}

export function toPipelineFile(
  pipeline: { name: string; description?: string | null },
  document: PipelineDocument,
): string {
  const file: PipelineFile = {
    sluice: 'pipeline',
    name: pipeline.name,
    description: pipeline.description ?? null,
    document,
  }
  return `${JSON.stringify(file, null, 2)}\n`
}

/** Reads an exported pipeline; a bare document is accepted too. The error says what is wrong. */
export async function parsePipelineFile(
  text: string,
  fallbackName: string,
): Promise<{ ok: true; file: PipelineFile } | { ok: false; message: string }> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { ok: false, message: 'the file is not JSON: export a pipeline from Sluice and import that file' }
  }
  const wrapped =
    value && typeof value === 'object' && 'nodes' in value && !('sluice' in value)
      ? { sluice: 'pipeline', name: fallbackName, document: value }
      : value
  const { pipelineFileSchema } = await import('./pipeline-file.schema.ts')
  const parsed = pipelineFileSchema.safeParse(wrapped)
  if (parsed.success) return { ok: true, file: parsed.data }
  const issue = parsed.error.issues[0]!
  const where = issue.path.length ? ` at ${issue.path.join('.')}` : ''
  return { ok: false, message: `the file is not a Sluice pipeline${where}: ${issue.message}` }
}

/** Offers `text` to the browser as a download named `name`. */
export function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }))
  const link = document.createElement('a')
  link.href = url
  link.download = name
  link.click()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

/** A file name from a pipeline name: `Holiday campaign` → `holiday-campaign.pipeline.json`. */
export const fileNameFor = (name: string) =>
  `${
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'pipeline'
  }.pipeline.json`
