import fs from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import Papa from 'papaparse'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { edge, sampleSource } from '../support/documents.ts'
import { authorizationNode } from '../support/keyed-api.ts'
import { audienceNode, deployPipeline, runJobNow } from '../support/pipelines.ts'
import { freePort } from '../support/postgres.ts'
import { type SftpServer, sshdAvailable, startSftp } from '../support/sftp.ts'

const MINUTE = 60_000
const csv = (rows: string[][]) => `${rows.map((row) => row.join(',')).join('\n')}\n`
const t0 = new Date('2026-11-01T10:00:00Z').getTime()
const at = (minutes: number) => new Date(t0 + minutes * MINUTE)

describe.runIf(sshdAvailable())('SFTP', () => {
  let sftp: SftpServer
  beforeAll(async () => {
    sftp = await startSftp()
  }, 30_000)
  afterAll(async () => sftp?.stop())

  describeEachDialect('connector', (dialect) => {
    const t = useTestApp(dialect)
    let admin = ''
    const authorize = async (name: string, overrides: Record<string, unknown> = {}) => {
      const created = await t().send('POST', '/api/authorizations', {
        cookie: admin,
        body: { name, provider: 'sftp', method: 'basic', credentials: sftp.credentials(overrides) },
      })
      expect(created.status, created.text).toBe(201)
      return created.json.id as string
    }
    let owner = ''
    beforeAll(async () => {
      admin = await t().setupAdmin()
      owner = await authorize('Drop')
    })
    const node = (kind: 'source' | 'destination', config: Record<string, unknown>) => ({
      id: kind === 'source' ? 'src' : 'dst',
      kind,
      provider: 'sftp',
      jobType: kind === 'source' ? 'files' : 'file',
      name: `SFTP ${kind}`,
      position: { x: 0, y: 0 },
      data: { config, cadence: { every: '1h' } },
    })
    const deploySource = async (name: string, config: Record<string, unknown>, authorization = owner) =>
      (
        await deployPipeline(t(), admin, name, {
          version: 1,
          nodes: [node('source', config), authorizationNode('auth', 'sftp', authorization)],
          edges: [edge('auth', 'src')],
        })
      ).jobOf('src')
    const run = (job: string) => runJobNow(t(), admin, job)
    const emails = async (job: string) =>
      (
        await t()
          .database.db.selectFrom('raw_messages')
          .select('payload')
          .where('job_id', '=', job)
          .orderBy('seq')
          .execute()
      ).map((row) => (JSON.parse(row.payload) as { email: string }).email)

    it('reads files below a folder in order, then only new and changed ones, including a late one; logs in by key too', async () => {
      const folder = `upload/${dialect}`
      sftp.put(
        `${folder}/a.csv`,
        csv([
          ['id', 'email'],
          ['1', 'a1@sftp.example'],
          ['2', 'a2@sftp.example'],
        ]),
        at(0),
      )
      sftp.put(`${folder}/2026/b.ndjson.gz`, gzipSync('{"id":3,"email":"b3@sftp.example"}\n'), at(1))
      sftp.put(
        `${folder}/.hidden.csv`,
        csv([
          ['id', 'email'],
          ['9', 'hidden@sftp.example'],
        ]),
        at(2),
      )
      const job = await deploySource('Drop', { folder: `/${folder}`, idField: 'id', lookBack: '15m' })
      expect((await run(job)).lastError).toBeNull()
      expect(await emails(job)).toEqual(['a1@sftp.example', 'a2@sftp.example', 'b3@sftp.example'])
      expect((await run(job)).lastError).toBeNull()
      expect(await emails(job)).toHaveLength(3)

      sftp.put(
        `${folder}/c.csv`,
        csv([
          ['id', 'email'],
          ['4', 'c4@sftp.example'],
        ]),
        at(10),
      )
      sftp.put(
        `${folder}/late.csv`,
        csv([
          ['id', 'email'],
          ['5', 'late5@sftp.example'],
        ]),
        at(4),
      )
      sftp.put(
        `${folder}/ancient.csv`,
        csv([
          ['id', 'email'],
          ['6', 'old6@sftp.example'],
        ]),
        at(-90),
      )
      sftp.put(
        `${folder}/a.csv`,
        csv([
          ['id', 'email'],
          ['1', 'a1@sftp.example'],
          ['2', 'a2-new@sftp.example'],
        ]),
        at(11),
      )
      expect((await run(job)).lastError).toBeNull()
      expect((await emails(job)).slice(3)).toEqual([
        'late5@sftp.example',
        'c4@sftp.example',
        'a2-new@sftp.example',
      ])

      // The same folder by private key, pinned: a fresh job reads everything the pattern selects.
      const byKey = await authorize('By key', { password: undefined, privateKey: sftp.privateKey })
      const second = await deploySource('By key', { folder: `/${folder}`, glob: '*.csv' }, byKey)
      expect((await run(second)).lastError).toBeNull()
      expect((await emails(second)).sort()).toEqual([
        'a1@sftp.example',
        'a2-new@sftp.example',
        'c4@sftp.example',
        'late5@sftp.example',
        'old6@sftp.example',
      ])
      const check = await t().send('POST', `/api/authorizations/${byKey}/test`, {
        cookie: admin,
        body: { config: { folder: `/${folder}`, glob: '*.csv' } },
      })
      expect(check.json).toMatchObject({ ok: true, message: expect.stringContaining('4 matching files') })
    })

    it('says what to fix for a wrong password, a changed host key, a missing folder, permission denied, an unreachable server and a malformed file', async () => {
      fs.writeFileSync(path.join(sftp.root, 'private', 'secret.csv'), 'id,email\n1,x@y\n')
      sftp.put(`upload/bad-${dialect}/broken.json`, '[{"id": 1,')
      const closed = await freePort()
      const otherKey = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
      const cases: [string, Record<string, unknown>, Record<string, unknown> | null, RegExp][] = [
        [
          'wrong password',
          { folder: '/upload' },
          { password: 'wrong' },
          /refused the login of "sluice-sftp": check the password or private key in the Vault/,
        ],
        [
          'host key',
          { folder: '/upload' },
          { hostKey: otherKey },
          /showed host key SHA256:\S+, not the pinned SHA256:A+: if the server's key changed on purpose/,
        ],
        [
          'missing folder',
          { folder: '/nowhere' },
          null,
          /\/nowhere does not exist on sftp:\/\/sluice-sftp@127\.0\.0\.1:\d+: check the folder/,
        ],
        [
          'permission denied',
          { folder: '/private' },
          null,
          /permission denied on \/private at .*: give user "sluice-sftp" read access to it/,
        ],
        [
          'unreachable',
          { folder: '/upload' },
          { port: closed },
          /cannot reach sftp:\/\/sluice-sftp@127\.0\.0\.1:\d+ \(ECONNREFUSED\): check the host and port/,
        ],
        [
          'malformed',
          { folder: `/upload/bad-${dialect}` },
          null,
          /broken\.json is malformed: .*fix or remove the file/,
        ],
      ]
      for (const [name, config, overrides, message] of cases) {
        const authorization = overrides ? await authorize(`SFTP ${name}`, overrides) : owner
        const detail = await run(await deploySource(`Errors: ${name}`, config, authorization))
        expect(detail.lastError, name).toMatch(message)
        expect(detail, name).toMatchObject({ status: 'sleeping', sleepReason: 'retry', consecutiveErrors: 1 })
      }
      const readonly = await t().send('POST', `/api/authorizations/${owner}/test`, {
        cookie: admin,
        body: { config: { folder: '/readonly', filePrefix: 'x' } },
      })
      expect(readonly.json).toEqual({
        ok: false,
        message: expect.stringMatching(
          /permission denied on \/readonly .*give user "sluice-sftp" write access/,
        ),
      })
      const unpinned = await authorize('Unpinned', { hostKey: '' })
      const shown = await t().send('POST', `/api/authorizations/${unpinned}/test`, {
        cookie: admin,
        body: {},
      })
      expect(shown.json).toEqual({ ok: true, message: expect.stringContaining(`pin ${sftp.fingerprint}`) })
    })

    it('delivers exactly the audience as one file per run, and the people who leave in the next', async () => {
      const folder = `upload/out-${dialect}`
      fs.mkdirSync(path.join(sftp.root, folder))
      fs.chownSync(path.join(sftp.root, folder), fs.statSync(path.join(sftp.root, 'upload')).uid, 0)
      const filter = { field: 'country', op: 'in', value: ['US', 'GB'] }
      const audience = (
        await t().send('POST', '/api/audiences', { cookie: admin, body: { name: 'US and UK', filter } })
      ).json
      const { jobOf } = await deployPipeline(t(), admin, 'Audience to SFTP', {
        version: 1,
        nodes: [
          sampleSource('people', { customers: 30, eventsPerRun: 200, seed: 7 }),
          audienceNode('aud', audience.id),
          node('destination', { folder: `/${folder}`, filePrefix: 'audience' }),
          authorizationNode('auth', 'sftp', owner),
        ],
        edges: [edge('people', 'aud'), edge('aud', 'dst'), edge('auth', 'dst')],
      })
      const files = () =>
        fs
          .readdirSync(path.join(sftp.root, folder))
          .sort()
          .map((name) => ({
            name,
            rows: Papa.parse<Record<string, string>>(
              fs.readFileSync(path.join(sftp.root, folder, name), 'utf8'),
              {
                header: true,
                skipEmptyLines: true,
              },
            ).data,
          }))
      const members = async (of: Record<string, unknown>) =>
        (
          (
            await t().send('POST', '/api/audiences/preview', {
              cookie: admin,
              body: { filter: of, limit: 100 },
            })
          ).json.sample as { attributes: { email: string } }[]
        )
          .map((profile) => profile.attributes.email)
          .sort()
      expect((await run(jobOf('people'))).lastError).toBeNull()
      expect((await run(jobOf('dst'))).lastError).toBeNull()
      const everyone = await members(filter)
      expect(files()).toHaveLength(1)
      expect(files()[0]!.name).toMatch(/^audience-.*\.csv$/)
      expect(
        files()[0]!
          .rows.map((row) => row.id)
          .sort(),
      ).toEqual(everyone)
      const narrowed = { field: 'country', op: 'eq', value: 'US' }
      await t().send('PUT', `/api/audiences/${audience.id}`, {
        cookie: admin,
        body: { name: 'US', filter: narrowed, version: audience.version },
      })
      const stayed = await members(narrowed)
      expect((await run(jobOf('dst'))).lastError).toBeNull()
      const [, second] = files()
      expect(
        second!.rows
          .filter((row) => row._op === 'remove')
          .map((row) => row.id)
          .sort(),
      ).toEqual(everyone.filter((email) => !stayed.includes(email)))
    })
  })
})
