import type { AttributeCondition } from '../../nodes/audience.ts'
import { emptyRow, type FlatFilter, type Row } from './flat-filter.ts'

const OPS: [AttributeCondition['op'], string][] = [
  ['eq', 'is'],
  ['neq', 'is not'],
  ['contains', 'contains'],
  ['gt', 'is greater than'],
  ['gte', 'is at least'],
  ['lt', 'is less than'],
  ['lte', 'is at most'],
  ['in', 'is one of'],
  ['exists', 'has any value'],
]

/** The visual builder: all or any of these conditions on attributes or source streams. */
export function ConditionRows({
  flat,
  onChange,
  fields,
  streams,
}: {
  flat: FlatFilter
  onChange: (next: FlatFilter) => void
  /** Attribute names seen on profiles, offered as suggestions. */
  fields: readonly string[]
  streams: readonly string[]
}) {
  const setRow = (index: number, patch: Partial<Row>) =>
    onChange({ ...flat, rows: flat.rows.map((row, i) => (i === index ? { ...row, ...patch } : row)) })
  return (
    <fieldset className="condition-rows">
      <legend>
        Profiles matching{' '}
        <select
          aria-label="Match"
          className="input input-small"
          value={flat.match}
          onChange={(change) => onChange({ ...flat, match: change.target.value as FlatFilter['match'] })}
        >
          <option value="and">all</option>
          <option value="or">any</option>
        </select>{' '}
        of these conditions
      </legend>
      <datalist id="audience-fields">
        {fields.map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
      {flat.rows.map((row, index) => {
        const n = index + 1
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their place
          <div className="condition-row" key={index}>
            <select
              aria-label={`Condition ${n}: kind`}
              className="input input-small"
              value={row.kind}
              onChange={(change) => setRow(index, { kind: change.target.value as Row['kind'] })}
            >
              <option value="attribute">Attribute</option>
              <option value="stream">Has data from stream</option>
            </select>
            {row.kind === 'attribute' ? (
              <>
                <input
                  aria-label={`Condition ${n}: attribute`}
                  className="input input-small"
                  list="audience-fields"
                  placeholder="e.g. plan"
                  value={row.field}
                  onChange={(change) => setRow(index, { field: change.target.value })}
                />
                <select
                  aria-label={`Condition ${n}: operator`}
                  className="input input-small"
                  value={row.op}
                  onChange={(change) => setRow(index, { op: change.target.value as Row['op'] })}
                >
                  {OPS.map(([value, label]) => (
                    <option key={value} value={value}>
                      {label}
                    </option>
                  ))}
                </select>
                {row.op !== 'exists' && (
                  <input
                    aria-label={`Condition ${n}: value`}
                    className="input input-small"
                    placeholder={row.op === 'in' ? 'a, b, c' : 'value'}
                    value={row.value}
                    onChange={(change) => setRow(index, { value: change.target.value })}
                  />
                )}
              </>
            ) : (
              <select
                aria-label={`Condition ${n}: stream`}
                className="input input-small"
                value={row.stream}
                onChange={(change) => setRow(index, { stream: change.target.value })}
              >
                <option value="">Choose a stream…</option>
                {streams.map((name) => (
                  <option key={name} value={name}>
                    {name}
                  </option>
                ))}
              </select>
            )}
            <label className="checkbox-row">
              <input
                type="checkbox"
                checked={row.exclude}
                onChange={(change) => setRow(index, { exclude: change.target.checked })}
              />
              Exclude
            </label>
            <button
              type="button"
              className="button button-small"
              aria-label={`Remove condition ${n}`}
              disabled={flat.rows.length === 1}
              onClick={() => onChange({ ...flat, rows: flat.rows.filter((_, i) => i !== index) })}
            >
              Remove
            </button>
          </div>
        )
      })}
      <button
        type="button"
        className="button button-small"
        onClick={() => onChange({ ...flat, rows: [...flat.rows, emptyRow()] })}
      >
        + Add condition
      </button>
    </fieldset>
  )
}
