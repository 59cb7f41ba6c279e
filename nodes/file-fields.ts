import { z } from 'zod'
import { parseDuration } from './duration.ts'

/**
 * Config fields every file-based connector shares (S3, SFTP, the data folder), so their forms,
 * validation and messages are one. Isomorphic: no node:* imports.
 */

/** How a file source finds and parses its files, and how it turns rows into records. */
export const fileReadFields = {
  glob: z.string().trim().min(1).max(200).default('**').meta({
    title: 'File pattern',
    description: 'A glob matched against each path below the folder: **/*.csv, contacts-*.csv.gz, *.ndjson',
    placeholder: '**/*.csv',
  }),
  format: z.enum(['auto', 'csv', 'json', 'ndjson']).default('auto').meta({
    title: 'Format',
    description:
      'Auto reads .csv and .tsv as CSV, .json as a JSON array, .ndjson and .jsonl as JSON lines; gzipped files (.gz) are unpacked',
  }),
  delimiter: z.enum([',', '\t', '|', ';']).default(',').meta({
    title: 'CSV delimiter',
    description: 'Comma, tab, pipe or semicolon (.tsv files are read with tabs)',
  }),
  idField: z.string().trim().min(1).max(200).optional().meta({
    title: 'Id field',
    description:
      'A field that identifies a record across files, e.g. id: a changed record is stored again, an unchanged one is not',
    placeholder: 'id',
  }),
  eventTimeField: z.string().trim().min(1).max(200).optional().meta({
    title: 'Event time field',
    description: 'When each record happened, e.g. updated_at; otherwise the time it was read',
    placeholder: 'updated_at',
  }),
  lookBack: z
    .string()
    .trim()
    .refine((text) => parseDuration(text) !== null, 'a duration such as 10m or 1h')
    .default('15m')
    .meta({
      title: 'Look-back window',
      description:
        'Files are read in the order they last changed; each run also looks this far back for files that landed late (an upload is dated when it began)',
    }),
  badRows: z.enum(['fail', 'skip']).default('fail').meta({
    title: 'Bad rows',
    description: 'Stop at a row that cannot be read, naming file and row, or skip it and count it omitted',
  }),
  batchSize: z.int().min(1).max(50_000).default(5000).meta({
    title: 'Rows per batch',
    description: 'Rows committed (and checkpointed) together',
  }),
}

/** What a file destination writes: one file per run, named by a prefix and the run's time. */
export const fileWriteFields = {
  format: z.enum(['csv', 'jsonl']).default('csv').meta({
    title: 'Format',
    description: 'CSV (RFC 4180, with a header row) or JSON Lines (one JSON object per line).',
  }),
  filePrefix: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
      'use up to 64 letters, digits, ".", "_" or "-", starting with a letter or digit',
    )
    .default('export')
    .meta({
      title: 'File name prefix',
      description: 'Each run writes <prefix>-<time>-<random>.csv (or .jsonl).',
      placeholder: 'export',
    }),
}
