import { describe, expect, it } from 'vitest'
import { emptyRow, toFilter, toFlat } from '../../client/audiences/flat-filter.ts'
import { audienceFilterSchema } from '../../nodes/audience.ts'

/** The audience builder's visual model and the filters the API stores. */
describe('audience builder model', () => {
  it('builds valid filters from rows, reading numbers, booleans and lists as such', () => {
    const filter = toFilter({
      match: 'or',
      rows: [
        { ...emptyRow(), field: 'plan', op: 'eq', value: 'pro' },
        { ...emptyRow(), field: 'orders', op: 'gte', value: '3' },
        { ...emptyRow(), field: 'vip', op: 'eq', value: 'true' },
        { ...emptyRow(), field: 'zip', op: 'eq', value: '02139' },
        { ...emptyRow(), field: 'country', op: 'in', value: 'DE, FR, 44' },
        { ...emptyRow(), field: 'name', op: 'contains', value: '42' },
        { ...emptyRow(), field: 'email', op: 'exists', value: '', exclude: true },
        { ...emptyRow(), kind: 'stream', stream: 'shop.orders' },
      ],
    })
    expect(filter).toEqual({
      or: [
        { field: 'plan', op: 'eq', value: 'pro' },
        { field: 'orders', op: 'gte', value: 3 },
        { field: 'vip', op: 'eq', value: true },
        // A leading zero is a code, not a number.
        { field: 'zip', op: 'eq', value: '02139' },
        { field: 'country', op: 'in', value: ['DE', 'FR', 44] },
        { field: 'name', op: 'contains', value: '42' },
        { not: { field: 'email', op: 'exists' } },
        { stream: 'shop.orders' },
      ],
    })
    expect(audienceFilterSchema.safeParse(filter).success).toBe(true)
    expect(toFlat(filter!)).toMatchObject({ match: 'or', rows: { length: 8 } })
    expect(toFilter(toFlat(filter!)!)).toEqual(filter)
  })

  it('is incomplete until every row is filled, and a single row needs no group', () => {
    expect(toFilter({ match: 'and', rows: [emptyRow()] })).toBeNull()
    expect(
      toFilter({ match: 'and', rows: [{ ...emptyRow(), field: 'plan', value: 'pro' }, emptyRow()] }),
    ).toBeNull()
    expect(toFilter({ match: 'and', rows: [{ ...emptyRow(), field: 'plan', value: 'pro' }] })).toEqual({
      field: 'plan',
      op: 'eq',
      value: 'pro',
    })
  })

  it('leaves nested groups to the JSON editor', () => {
    expect(toFlat({ and: [{ or: [{ stream: 'a' }, { stream: 'b' }] }, { stream: 'c' }] })).toBeNull()
    expect(toFlat({ not: { and: [{ stream: 'a' }] } })).toBeNull()
  })
})
