import { describe, expect, it } from 'vitest'
import { defaultConfig, paletteItems, searchPalette } from '../../client/canvas/palette-items.ts'
import { formValidator } from '../../client/forms/validator.ts'
import type { ProviderInfo } from '../../client/types.ts'
import { catalogueJson } from '../../nodes/index.ts'

/** The catalogue as GET /api/providers serves it (its JSON Schemas from the zod schemas). */
const catalogue = catalogueJson() as unknown as ProviderInfo[]

const schemaOf = (provider: string, jobType: string) =>
  catalogue.find((entry) => entry.id === provider)!.jobTypes.find((entry) => entry.id === jobType)!
    .configSchema

describe('the forms’ schema validator (no eval, so the UI’s CSP holds)', () => {
  it('files each problem under its field in words a marketer reads', () => {
    const schema = schemaOf('sample', 'events')
    const { errors, errorSchema } = formValidator.validateFormData(
      { customers: 0, eventsPerRun: 'x' },
      schema,
    )
    expect(errors.map((error) => [error.property, error.message])).toEqual(
      expect.arrayContaining([
        ['.customers', 'must be at least 1'],
        ['.eventsPerRun', 'must be an integer'],
      ]),
    )
    expect(errorSchema).toMatchObject({ customers: { __errors: ['must be at least 1'] } })
  })

  it('names missing required fields, unknown settings and values off the list', () => {
    const credentials = catalogue.find((entry) => entry.id === 'postgres')!.authMethods[0]!.schema
    const { errors } = formValidator.validateFormData({ port: 5432, ssl: 'sometimes', extra: 1 }, credentials)
    const byField = Object.fromEntries(errors.map((error) => [error.property, error.message]))
    expect(byField['.host']).toBe('is required')
    expect(byField['.password']).toBe('is required')
    expect(byField['.ssl']).toBe('must be one of "require", "verify-full", "disable"')
    expect(byField['.extra']).toBe('is not a known setting')
  })

  it('fills in every job type’s defaults for a new node, leaving only the fields a user must give', () => {
    for (const provider of catalogue)
      for (const jobType of provider.jobTypes) {
        const config = defaultConfig(jobType.configSchema)
        const { errors } = formValidator.validateFormData(config, jobType.configSchema)
        expect(
          errors.filter((error) => error.name !== 'required'),
          `${provider.id}.${jobType.id}`,
        ).toEqual([])
      }
    expect(defaultConfig(schemaOf('sample', 'events'))).toEqual({
      seed: 42,
      customers: 1000,
      eventsPerRun: 500,
      batchSize: 250,
    })
  })
})

describe('the palette', () => {
  it('groups the catalogue and finds items by any word', () => {
    const items = paletteItems(catalogue)
    expect(new Set(items.map((item) => item.group))).toEqual(
      new Set(['Sources', 'Destinations', 'Enrichment', 'Authorizations', 'Audience', 'Note']),
    )
    // Enrichment is its own group, found by what it adds.
    expect(
      searchPalette(items, 'phone')
        .filter((item) => item.group === 'Enrichment')
        .map((item) => item.key),
    ).toEqual(['job:phone:numbers'])
    // A provider without credentials offers no authorization.
    expect(items.some((item) => item.key === 'auth:sample')).toBe(false)
    expect(searchPalette(items, 'postgres export').map((item) => item.key)).toEqual(['job:postgres:table'])
    const node = items
      .find((item) => item.key === 'job:postgres:table')!
      .make({ version: 1, nodes: [], edges: [] }, { x: 10.4, y: 20.6 })
    expect(node).toMatchObject({
      id: 'postgres',
      kind: 'destination',
      position: { x: 10, y: 21 },
      data: {
        config: { table: 'sluice_profiles', mode: 'upsert', removals: 'delete' },
        cadence: { after: 'upstream' },
      },
    })
  })
})

describe('schema defaults for a new node', () => {
  it('takes each property’s default and fills nested objects, copying so nodes never share one', async () => {
    const { schemaDefaults } = await import('../../client/forms/schema-defaults.ts')
    const schema = {
      type: 'object',
      properties: {
        table: { type: 'string', default: 'sluice_profiles' },
        keys: { type: 'array', default: ['id'] },
        paging: {
          type: 'object',
          properties: { size: { type: 'integer', default: 100 }, cursor: { type: 'string' } },
        },
        empty: { type: 'object', properties: { note: { type: 'string' } } },
        plain: { type: 'string' },
      },
    }
    const first = schemaDefaults(schema)
    expect(first).toEqual({ table: 'sluice_profiles', keys: ['id'], paging: { size: 100 } })
    ;(first.keys as string[]).push('email')
    expect(schemaDefaults(schema).keys).toEqual(['id'])
  })
})
