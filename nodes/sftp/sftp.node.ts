import { z } from 'zod'
import { defineProvider, SECRET } from '../define.ts'
import { fileReadFields, fileWriteFields } from '../file-fields.ts'

/** A folder on the server: absolute (/upload/crm) or relative to the login folder (crm). */
const folder = z
  .string()
  .trim()
  .min(1, 'name a folder, e.g. /upload/crm or .')
  .max(1024)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  .refine((text) => !/[\u0000-\u001f\u007f]/.test(text), 'a folder must not contain control characters')
  .refine((text) => !text.split('/').includes('..'), 'a folder must not contain ".." segments')

export const sftpCredentials = z
  .strictObject({
    host: z.string().trim().min(1, 'enter the server’s host name').max(253).meta({
      title: 'Host',
      description: 'Host name or address of the SFTP server',
      placeholder: 'sftp.example.com',
    }),
    port: z.int().min(1).max(65_535).default(22).meta({ title: 'Port', description: 'Usually 22' }),
    username: z.string().trim().min(1, 'enter the user name').max(128).meta({ title: 'User' }),
    password: z
      .string()
      .max(1000)
      .optional()
      .meta({ ...SECRET, title: 'Password', description: 'Leave empty to log in with a private key' }),
    privateKey: z
      .string()
      .max(20_000)
      .optional()
      .meta({
        ...SECRET,
        title: 'Private key',
        description: 'An OpenSSH or PEM private key (-----BEGIN …), if the server takes keys',
      }),
    passphrase: z
      .string()
      .max(1000)
      .optional()
      .meta({ ...SECRET, title: 'Key passphrase', description: 'Only for an encrypted private key' }),
    hostKey: z
      .string()
      .trim()
      .regex(
        /^(SHA256:[A-Za-z0-9+/]{43})?$/,
        'a fingerprint as ssh-keygen -lf prints it: SHA256: and 43 characters',
      )
      .default('')
      .meta({
        title: 'Host key fingerprint',
        description:
          'Pins the server: Sluice refuses any other host key. Test the connection to see the server’s, or run ssh-keygen -lf on its key',
        placeholder: 'SHA256:…',
      }),
  })
  .refine((value) => Boolean(value.password) || Boolean(value.privateKey), {
    message: 'give a password or a private key',
    path: ['password'],
  })
export type SftpCredentials = z.infer<typeof sftpCredentials>

export const sftpSourceConfig = z.strictObject({
  folder: folder.meta({
    title: 'Folder',
    description: 'Where the files land, e.g. /upload/crm; the file pattern is matched below it',
    placeholder: '/upload/crm',
  }),
  ...fileReadFields,
})
export type SftpSourceConfig = z.infer<typeof sftpSourceConfig>

export const sftpDestinationConfig = z.strictObject({
  folder: folder.meta({
    title: 'Folder',
    description: 'Where each run’s file goes, e.g. /outbox; it must exist',
    placeholder: '/outbox',
  }),
  ...fileWriteFields,
})
export type SftpDestinationConfig = z.infer<typeof sftpDestinationConfig>

const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><rect x="3" y="4" width="18" height="16" rx="2"/><path d="M7 9l3 3-3 3"/><path d="M13 15h4"/></svg>`

/** Files on an SFTP server: the classic file drop. */
export const sftp = defineProvider({
  id: 'sftp',
  title: 'SFTP',
  category: 'source',
  icon: ICON,
  description:
    'Reads CSV, JSON and JSON-lines files (gzipped or not) from a folder on an SFTP server as they land; writes each export run to a file there.',
  auth: [{ id: 'basic', title: 'User with password or key', schema: sftpCredentials }],
  jobTypes: [
    {
      id: 'files',
      title: 'Import files',
      direction: 'import',
      description:
        'Each run reads the files that are new or changed since the last one, in the order they changed; with a one-time cadence it backfills once and completes.',
      config: sftpSourceConfig,
      requiresAuthorization: true,
      defaultCadence: { every: '1h' },
      resetsCheckpoint: ['folder', 'glob'],
    },
    {
      id: 'file',
      title: 'Export to files',
      direction: 'export',
      description:
        'Each run writes the changes since the previous run to a new file in the folder, which appears only once complete.',
      config: sftpDestinationConfig,
      requiresAuthorization: true,
      defaultCadence: { after: 'upstream' },
      resetsCheckpoint: ['folder', 'format'],
      identifier: 'email',
      batchSize: 5000,
    },
  ],
})
