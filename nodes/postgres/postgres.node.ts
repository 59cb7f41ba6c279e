import { z } from 'zod'
import { defineProvider, SECRET } from '../define.ts'
import { parseDuration } from '../duration.ts'

/** A PostgreSQL identifier Sluice quotes itself: letters, digits, `_` and `$`, up to 63 bytes. */
const identifier = z
  .string()
  .trim()
  .regex(/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/, 'a column or table name: letters, digits and _, e.g. updated_at')

/** `table` or `schema.table`. */
const tableName = z
  .string()
  .trim()
  .regex(
    /^([A-Za-z_][A-Za-z0-9_$]{0,62}\.)?[A-Za-z_][A-Za-z0-9_$]{0,62}$/,
    'a table name, optionally with its schema: contacts or crm.contacts',
  )

export const postgresCredentials = z.strictObject({
  host: z.string().trim().min(1, 'enter the server’s host name').max(253).meta({
    title: 'Host',
    description: 'Host name or address of the server',
    placeholder: 'db.example.com',
  }),
  port: z.int().min(1).max(65_535).default(5432).meta({ title: 'Port', description: 'Usually 5432' }),
  database: z
    .string()
    .trim()
    .min(1, 'enter the database name')
    .max(63)
    .meta({ title: 'Database', description: 'The database to read from or write to', placeholder: 'crm' }),
  username: z.string().min(1, 'enter the user name').max(63).meta({
    title: 'User',
    description: 'A user with SELECT on the source tables (and CREATE for a destination)',
  }),
  password: z
    .string()
    .min(1, 'enter the password')
    .max(1000)
    .meta({ ...SECRET, title: 'Password', description: 'Stored encrypted in the Vault' }),
  ssl: z.enum(['require', 'verify-full', 'disable']).default('verify-full').meta({
    title: 'TLS',
    description:
      'verify-full checks the server’s certificate and name; require encrypts without checking; disable only on a private network',
  }),
})
export type PostgresCredentials = z.infer<typeof postgresCredentials>

/** Look-back: a duration for time cursors (`10m`), or a number for numeric ones (`100`). */
const lookBack = z
  .string()
  .trim()
  .refine(
    (text) => text === '' || parseDuration(text) !== null || /^\d+(\.\d+)?$/.test(text),
    'a duration such as 10m for a time column, or a number such as 100 for a numeric one',
  )

export const postgresSourceConfig = z
  .strictObject({
    table: tableName.optional().meta({
      title: 'Table',
      description: 'The table or view to read, e.g. crm.contacts; leave empty to write a query instead',
      placeholder: 'public.contacts',
    }),
    query: z.string().trim().max(20_000).optional().meta({
      title: 'Query',
      description: 'A SELECT whose rows are the records; it runs in a read-only transaction',
      placeholder: 'SELECT id, email, updated_at FROM contacts WHERE active',
    }),
    primaryKey: z
      .array(identifier)
      .min(1, 'name the column (or columns) that identify a row, e.g. id')
      .max(8)
      .default(['id'])
      .meta({
        title: 'Primary key',
        description: 'Columns that identify a row; they order the read and resume it',
      }),
    sync: z.enum(['incremental', 'full']).default('incremental').meta({
      title: 'Sync',
      description: 'Incremental reads rows whose cursor column moved on; full reads every row each run',
    }),
    cursorColumn: identifier.optional().meta({
      title: 'Cursor column',
      description: 'For incremental syncs: a column that grows when a row changes, e.g. updated_at',
      placeholder: 'updated_at',
    }),
    lookBack: lookBack.default('5m').meta({
      title: 'Look-back window',
      description:
        'Each run re-reads this far behind the last cursor so rows committed late are not missed (10m, or 100 for a numeric cursor)',
    }),
    eventTimeColumn: identifier.optional().meta({
      title: 'Event time column',
      description: 'When each row happened, e.g. created_at; otherwise the time it was read',
    }),
    batchSize: z.int().min(1).max(50_000).default(5000).meta({
      title: 'Rows per batch',
      description: 'Rows committed (and checkpointed) together',
    }),
  })
  .superRefine((config, ctx) => {
    if (!config.table === !config.query)
      ctx.addIssue({
        code: 'custom',
        path: ['table'],
        message: 'name a table or write a query (one of the two)',
      })
    if (config.sync === 'incremental' && !config.cursorColumn)
      ctx.addIssue({
        code: 'custom',
        path: ['cursorColumn'],
        message: 'an incremental sync needs a cursor column such as updated_at (or choose a full sync)',
      })
    if (config.cursorColumn && config.primaryKey.includes(config.cursorColumn))
      ctx.addIssue({
        code: 'custom',
        path: ['cursorColumn'],
        message: 'the cursor column must not be part of the primary key',
      })
  })
export type PostgresSourceConfig = z.infer<typeof postgresSourceConfig>

export const postgresDestinationConfig = z.strictObject({
  table: tableName.default('sluice_profiles').meta({
    title: 'Table',
    description: 'Sluice creates it, and adds a column for each new field',
    placeholder: 'marketing.audience_pros',
  }),
  mode: z.enum(['upsert', 'append']).default('upsert').meta({
    title: 'Write',
    description:
      'Upsert keeps one row per person; append adds a row per change (op, id, fields as JSON, time)',
  }),
  removals: z.enum(['delete', 'flag']).default('delete').meta({
    title: 'People who leave',
    description: 'Delete their row, or keep it with removed_at set (upsert only)',
  }),
})
export type PostgresDestinationConfig = z.infer<typeof postgresDestinationConfig>

const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><ellipse cx="12" cy="5" rx="8" ry="3"/><path d="M4 5v14c0 1.7 3.6 3 8 3s8-1.3 8-3V5"/><path d="M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3"/></svg>`

/** A PostgreSQL database as a source of rows and a destination for profiles. */
export const postgres = defineProvider({
  id: 'postgres',
  title: 'PostgreSQL',
  category: 'source',
  icon: ICON,
  description:
    'Reads rows from a table or query, incrementally by a cursor column; writes audiences to a table Sluice keeps in shape.',
  auth: [{ id: 'basic', title: 'User and password', schema: postgresCredentials }],
  jobTypes: [
    {
      id: 'rows',
      title: 'Import rows',
      direction: 'import',
      description: 'Each run reads the rows whose cursor moved on since the last one (or all of them).',
      config: postgresSourceConfig,
      requiresAuthorization: true,
      defaultCadence: { every: '1h' },
      resetsCheckpoint: ['table', 'query', 'cursorColumn', 'primaryKey', 'sync'],
    },
    {
      id: 'table',
      title: 'Export to a table',
      direction: 'export',
      description: 'Upserts the audience’s people into a table and deletes (or flags) the ones who leave.',
      config: postgresDestinationConfig,
      requiresAuthorization: true,
      defaultCadence: { after: 'upstream' },
      resetsCheckpoint: ['table', 'mode'],
      identifier: 'email',
      batchSize: 5000,
    },
  ],
})
