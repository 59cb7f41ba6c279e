import { z } from 'zod'
import { defineProvider } from '../define.ts'
import { fileWriteFields } from '../file-fields.ts'

/**
 * Why a directory is not a safe path inside the data folder, or null when it is. Isomorphic on
 * purpose: the canvas shows the same message the server enforces.
 */
export function directoryProblem(directory: string): string | null {
  if (directory.includes('\\')) return 'use forward slashes (/) to separate folders, not backslashes'
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(directory)) return 'must not contain control characters'
  if (directory.startsWith('/') || /^[A-Za-z]:/.test(directory)) {
    return 'must be a folder relative to the data folder, e.g. "exports/daily", not an absolute path'
  }
  if (directory.split('/').includes('..')) {
    return 'must not contain ".." segments: exports stay inside the data folder'
  }
  return null
}

export const fileExportConfig = z.strictObject({
  format: fileWriteFields.format,
  directory: z
    .string()
    .trim()
    .min(1, 'name a folder, e.g. "exports"')
    .max(200)
    .superRefine((directory, ctx) => {
      const problem = directoryProblem(directory)
      if (problem) ctx.addIssue({ code: 'custom', message: `directory ${problem}` })
    })
    .default('exports')
    .meta({
      title: 'Directory',
      description: 'Folder inside the data folder that receives the files, e.g. "exports" or "exports/crm".',
      placeholder: 'exports',
    }),
  filePrefix: fileWriteFields.filePrefix,
})

export type FileExportConfig = z.infer<typeof fileExportConfig>

const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M14 3H6a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V9z"/><path d="M14 3v6h6"/><path d="M12 12v6"/><path d="M9 15l3 3 3-3"/></svg>`

/** A destination that writes each export run to one CSV or JSON Lines file in the data folder. */
export const fileExport = defineProvider({
  id: 'file-export',
  title: 'File export',
  category: 'destination',
  icon: ICON,
  description:
    'Writes profiles to CSV or JSON Lines files in the data folder: one file per run, each row marked upsert or remove.',
  auth: [{ id: 'none', title: 'No authorization', schema: z.strictObject({}) }],
  jobTypes: [
    {
      id: 'file',
      title: 'Export to a file',
      direction: 'export',
      description:
        'Each run writes the changes since the previous run to a new file, which appears only once complete.',
      config: fileExportConfig,
      requiresAuthorization: false,
      defaultCadence: { after: 'upstream' },
      // Files are change logs: a reader of a new folder or format would otherwise never get the
      // profiles delivered before the switch, so either change starts again with a full export.
      resetsCheckpoint: ['directory', 'format'],
      identifier: 'email',
      // Each acknowledged batch is fsynced: a local file takes big batches cheaply.
      batchSize: 5000,
    },
  ],
})
