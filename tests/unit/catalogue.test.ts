import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cadenceSchema } from '../../nodes/cadence.ts'
import { connectors, findConnector, jobConnector } from '../../nodes/connectors.ts'
import { type AuthMethod, secretFields, toJsonSchema } from '../../nodes/define.ts'
import { catalogueJson, findJobType, findProvider, providers } from '../../nodes/index.ts'
import { outboundContext } from '../../server/net/outbound.ts'

const nodesDir = fileURLToPath(new URL('../../nodes/', import.meta.url))

const jobTypes = providers.flatMap((provider) =>
  provider.jobTypes.map((jobType) => ({ name: `${provider.id}.${jobType.id}`, provider, jobType })),
)
const authMethods = providers.flatMap((provider) =>
  provider.auth.map((method) => ({ name: `${provider.id}/${method.id}`, provider, method })),
)

/** Every file under a folder with its size and modification time, to prove nothing changed. */
async function snapshot(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true })
  return Promise.all(
    entries.sort().map(async (entry) => {
      const info = await stat(join(folder, entry))
      return `${entry} ${info.size} ${info.mtimeMs}`
    }),
  )
}

describe('catalogue', () => {
  it('has unique provider ids and finds providers and job types by id', () => {
    expect(new Set(providers.map((provider) => provider.id)).size).toBe(providers.length)
    for (const { provider, jobType } of jobTypes) {
      expect(findProvider(provider.id)).toBe(provider)
      expect(findJobType(provider.id, jobType.id)).toBe(jobType)
    }
    expect(findProvider('nope')).toBeUndefined()
    expect(findJobType('sample', 'nope')).toBeUndefined()
    expect(findJobType('constructor', 'events')).toBeUndefined()
  })

  it('serves the API.md shape as plain JSON', () => {
    const json = catalogueJson()
    expect(JSON.parse(JSON.stringify(json))).toEqual(json)
    expect(json.map((provider) => provider.id)).toEqual(providers.map((provider) => provider.id))
    for (const provider of json) {
      expect(Object.keys(provider).sort()).toEqual(
        ['authMethods', 'category', 'description', 'icon', 'id', 'jobTypes', 'title'].sort(),
      )
      expect(provider.icon).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>.*<\/svg>$/s)
      expect(provider.icon).not.toMatch(/<script|on\w+=/i)
      for (const jobType of provider.jobTypes) {
        expect(Object.keys(jobType).sort()).toEqual(
          [
            'configSchema',
            'defaultCadence',
            'description',
            'direction',
            'id',
            'requiresAuthorization',
            'resetsCheckpoint',
            'title',
          ].sort(),
        )
        expect(jobType.configSchema).toMatchObject({ type: 'object' })
      }
    }
  })

  it('builds a fresh copy each time, so callers cannot change the catalogue', () => {
    const first = catalogueJson()
    first[0]!.jobTypes[0]!.resetsCheckpoint.push('tampered')
    expect(catalogueJson()[0]!.jobTypes[0]!.resetsCheckpoint).not.toContain('tampered')
  })

  it('stays isomorphic: no node:* module and no connector reachable from index.ts', async () => {
    const seen = new Set<string>()
    const visit = async (file: string): Promise<void> => {
      if (seen.has(file)) return
      seen.add(file)
      const source = await readFile(file, 'utf8')
      for (const [, specifier] of source.matchAll(/\bfrom\s+'([^']+)'/g)) {
        expect(specifier, `${relative(nodesDir, file)} imports ${specifier}`).not.toMatch(
          /^node:|\.connector\.ts$/,
        )
        if (specifier?.startsWith('.')) await visit(fileURLToPath(new URL(specifier, `file://${file}`)))
      }
    }
    await visit(join(nodesDir, 'index.ts'))
    expect(seen.size).toBeGreaterThan(3)
  })
})

describe.each(jobTypes)('job type $name', ({ provider, jobType }) => {
  it('has a connector with the matching direction', () => {
    expect(findConnector(provider.id)?.provider).toBe(provider)
    expect(jobConnector(provider.id, jobType.id)?.direction).toBe(jobType.direction)
  })

  it('converts its config schema to JSON Schema, secrets flagged as secretFields() says', () => {
    const schema = toJsonSchema(jobType.config)
    const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>
    const flagged = Object.keys(properties).filter((name) => properties[name]?.secret === true)
    expect(flagged.sort()).toEqual(secretFields(jobType.config).sort())
    for (const [name, property] of Object.entries(properties)) {
      expect(property.title, `${name} has a title`).toEqual(expect.any(String))
      expect(property.description, `${name} has a description`).toEqual(expect.any(String))
    }
  })

  it('names only config fields in resetsCheckpoint and has a valid default cadence', () => {
    const fields = Object.keys(jobType.config.shape)
    for (const field of jobType.resetsCheckpoint) expect(fields).toContain(field)
    expect(cadenceSchema.safeParse(jobType.defaultCadence).success).toBe(true)
  })

  it('parses an empty config, or says which fields to fill in, so it can be dropped on the canvas as is', () => {
    const parsed = jobType.config.safeParse({})
    if (parsed.success) return
    // What must be entered first (a URL): each issue names a field the canvas shows inline.
    for (const issue of parsed.error.issues) {
      expect(issue.path.length, issue.message).toBeGreaterThan(0)
      expect(Object.keys(jobType.config.shape)).toContain(String(issue.path[0]))
    }
  })
})

describe.each(authMethods)('auth method $name', ({ method }) => {
  it('asks Google for offline access, without which it gives no refresh token', () => {
    const { oauth } = method as AuthMethod
    if (!oauth?.authorizeUrl.startsWith('https://accounts.google.com/')) return
    expect(oauth.authorizeParams).toMatchObject({ access_type: 'offline', prompt: 'consent' })
  })

  it('converts to JSON Schema with secrets flagged as secretFields() says', () => {
    const schema = toJsonSchema(method.schema)
    expect(schema).toMatchObject({ type: 'object' })
    const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>
    const flagged = Object.keys(properties).filter((name) => properties[name]?.secret === true)
    expect(flagged.sort()).toEqual(secretFields(method.schema).sort())
  })
})

describe('connector registry', () => {
  it('holds exactly one connector per provider and one job connector per job type', () => {
    expect([...connectors.keys()].sort()).toEqual(providers.map((provider) => provider.id).sort())
    for (const provider of providers) {
      expect(Object.keys(findConnector(provider.id)?.jobs ?? {}).sort()).toEqual(
        provider.jobTypes.map((jobType) => jobType.id).sort(),
      )
    }
    expect(jobConnector('sample', 'toString')).toBeUndefined()
    expect(findConnector('nope')).toBeUndefined()
  })
})

describe('previews of import job types', () => {
  let dataDir: string
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sluice-catalogue-'))
  })
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true })
  })

  // Job types that need an authorization reach real systems: their previews are integration tests.
  // Pushed (realtime) sources read nothing: what they hold is their stream's raw messages.
  const imports = jobTypes.filter(
    ({ jobType }) =>
      jobType.direction === 'import' &&
      !jobType.requiresAuthorization &&
      jobType.defaultCadence !== 'realtime' &&
      // Sources that need an address first (REST) preview against their servers in integration tests.
      jobType.config.safeParse({}).success,
  )

  it('covers at least one job type', () => {
    expect(imports.length).toBeGreaterThan(0)
  })

  it.each(imports)('$name previews at most the limit with no side effects', async ({ provider, jobType }) => {
    const connector = jobConnector(provider.id, jobType.id)
    if (connector?.direction !== 'import')
      throw new Error(`${provider.id}.${jobType.id} has no import connector`)
    const before = await snapshot(dataDir)
    const ctx = {
      config: jobType.config.parse({}),
      credentials: {},
      ...outboundContext({ allowPrivateNetwork: false }),
      signal: new AbortController().signal,
      now: () => new Date('2024-05-01T00:00:00Z'),
      sleep: async () => {},
      dataDir,
      jobId: null,
    }
    const records = []
    for await (const batch of connector.read(ctx, { checkpoint: null, preview: { limit: 5 } })) {
      records.push(...batch.records)
    }
    expect(records.length).toBeGreaterThan(0)
    expect(records.length).toBeLessThanOrEqual(5)
    for (const record of records) {
      expect(record.key).toEqual(expect.any(String))
      expect(JSON.parse(JSON.stringify(record.data))).toEqual(record.data)
    }
    expect(await snapshot(dataDir)).toEqual(before)
  })
})
