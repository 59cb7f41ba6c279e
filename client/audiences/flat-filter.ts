import type { AttributeCondition, AudienceFilter, Scalar } from '../../nodes/audience.ts'

/** One row of the visual builder: an attribute test or a stream test, possibly negated. */
export interface Row {
  kind: 'attribute' | 'stream'
  field: string
  op: AttributeCondition['op']
  /** As typed: `in` takes a comma-separated list; numbers and true/false are read as such. */
  value: string
  stream: string
  exclude: boolean
}

/** The visual builder's model: all or any of a list of rows. Nested groups need the JSON editor. */
export interface FlatFilter {
  match: 'and' | 'or'
  rows: Row[]
}

export const emptyRow = (): Row => ({
  kind: 'attribute',
  field: '',
  op: 'eq',
  value: '',
  stream: '',
  exclude: false,
})

/** A typed value as the filter holds it: numbers and booleans when they read as such. */
function scalarOf(text: string): Scalar {
  const trimmed = text.trim()
  if (trimmed === 'true' || trimmed === 'false') return trimmed === 'true'
  if (trimmed !== '' && Number.isFinite(Number(trimmed)) && !/^0\d/.test(trimmed)) return Number(trimmed)
  return text
}

function conditionOf(row: Row): AudienceFilter {
  const condition: AudienceFilter =
    row.kind === 'stream'
      ? { stream: row.stream }
      : row.op === 'exists'
        ? { field: row.field, op: 'exists' }
        : row.op === 'in'
          ? { field: row.field, op: 'in', value: row.value.split(',').map((part) => scalarOf(part.trim())) }
          : // `contains` compares text, so its value stays text.
            { field: row.field, op: row.op, value: row.op === 'contains' ? row.value : scalarOf(row.value) }
  return row.exclude ? { not: condition } : condition
}

/** The filter a flat model stands for; null while a row is incomplete. */
export function toFilter(flat: FlatFilter): AudienceFilter | null {
  const complete = flat.rows.filter((row) =>
    row.kind === 'stream'
      ? row.stream.trim() !== ''
      : row.field.trim() !== '' && (row.op === 'exists' || row.value !== ''),
  )
  if (complete.length === 0 || complete.length !== flat.rows.length) return null
  const conditions = complete.map(conditionOf)
  return conditions.length === 1
    ? conditions[0]!
    : flat.match === 'and'
      ? { and: conditions }
      : { or: conditions }
}

function rowOf(filter: AudienceFilter): Row | null {
  const exclude = 'not' in filter
  const inner = 'not' in filter ? filter.not : filter
  if ('stream' in inner) return { ...emptyRow(), kind: 'stream', stream: inner.stream, exclude }
  if (!('field' in inner)) return null
  const value = inner.op === 'exists' ? '' : inner.op === 'in' ? inner.value.join(', ') : String(inner.value)
  return { ...emptyRow(), field: inner.field, op: inner.op, value, exclude }
}

/** The flat model of a filter, or null when it nests deeper than the visual builder shows. */
export function toFlat(filter: AudienceFilter): FlatFilter | null {
  const group =
    'and' in filter
      ? { match: 'and' as const, items: filter.and }
      : 'or' in filter
        ? { match: 'or' as const, items: filter.or }
        : null
  const items = group ? group.items : [filter]
  const rows = items.map(rowOf)
  if (rows.some((row) => row === null)) return null
  return { match: group?.match ?? 'and', rows: rows as Row[] }
}
