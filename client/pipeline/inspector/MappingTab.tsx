import { useMutation } from '@tanstack/react-query'
import { useId, useState } from 'react'
import { applyMapping } from '../../../nodes/mapping.ts'
import {
  type Mapping,
  type MappingField,
  mappingTransforms,
  type PipelineNode,
} from '../../../nodes/pipeline.ts'
import { updateNode } from '../../canvas/document-ops.ts'
import { useCanvasStore } from '../../canvas/store.ts'
import { api, errorMessage } from '../../lib/api.ts'
import { usePreview } from './DataTab.tsx'

type JobNode = Extract<PipelineNode, { kind: 'source' | 'destination' | 'enrichment' }>
type Transform = (typeof mappingTransforms)[number]

const EMPTY: Mapping = { fields: [] }

/** `a, b` names several fields (concatenated); one name stays a plain path. */
function fromOf(text: string): string | string[] {
  const parts = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
  return parts.length > 1 ? parts : text.trim()
}

/** Sample profiles' attributes, as a destination's mapping reads them. */
function useProfileSamples() {
  return useMutation({
    mutationFn: async () => {
      const list = await api.get<{ id: string }[]>('/api/profiles', { limit: 5 })
      const profiles = await Promise.all(
        list.map((entry) =>
          api.get<{ attributes: Record<string, { value: unknown }> }>(
            `/api/profiles/${encodeURIComponent(entry.id)}`,
          ),
        ),
      )
      return profiles.map((profile) =>
        Object.fromEntries(
          Object.entries(profile.attributes).map(([name, attribute]) => [name, attribute.value]),
        ),
      )
    },
    meta: { inlineErrors: true },
  })
}

/**
 * The Mapping tab: for a source, its fields to profile attributes (renamed, transformed, dropped,
 * marked as identities); for a destination, profile attributes to its fields. A sample (the
 * source's first records, or some profiles) shows the mapping's result live as it is edited.
 */
export function MappingTab({ node, readOnly }: { node: JobNode; readOnly: boolean }) {
  const commit = useCanvasStore((state) => state.commit)
  const mapping = node.data.mapping ?? EMPTY
  const isSource = node.kind === 'source'
  const listId = useId()
  const preview = usePreview(node as Extract<PipelineNode, { kind: 'source' }>)
  const profiles = useProfileSamples()
  const samples = isSource
    ? (preview.data?.records.map((record) => record.data) ?? [])
    : (profiles.data ?? [])
  const sampleError = isSource ? preview.error : profiles.error
  const known = [...new Set(samples.flatMap((sample) => Object.keys(sample)))]

  const setMapping = (next: Mapping, field: string) =>
    commit(
      updateNode(
        useCanvasStore.getState().document,
        node.id,
        (current) =>
          ({
            ...current,
            data: { ...(current as JobNode).data, mapping: next },
          }) as PipelineNode,
      ),
      null,
      `${node.id}:mapping:${field}`,
    )
  const setField = (index: number, change: Partial<MappingField>) =>
    setMapping(
      {
        ...mapping,
        fields: mapping.fields.map((field, at) =>
          at === index ? ({ ...field, ...change } as MappingField) : field,
        ),
      },
      `${index}:${Object.keys(change).join()}`,
    )
  // A new row lives here until it names both ends: the document only ever holds valid rows.
  const [draft, setDraft] = useState({ from: '', to: '' })
  const addDraft = () => {
    setMapping(
      { ...mapping, fields: [...mapping.fields, { from: fromOf(draft.from), to: draft.to.trim() }] },
      `add:${mapping.fields.length}`,
    )
    setDraft({ from: '', to: '' })
  }
  const removeField = (index: number) =>
    setMapping({ ...mapping, fields: mapping.fields.filter((_, at) => at !== index) }, `remove:${index}`)
  const unmapped = known.filter((name) => !mapping.fields.some((field) => [field.from].flat().includes(name)))

  return (
    <fieldset className="mapping-tab" disabled={readOnly}>
      <legend className="visually-hidden">Mapping</legend>
      <p className="field-hint">
        {isSource
          ? 'Source fields to profile attributes. Mark the fields that identify a person.'
          : 'Profile attributes to the fields the destination receives.'}
      </p>
      <datalist id={listId}>
        {known.map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
      <div className="table-scroll">
        <table className="table table-compact mapping-table">
          <thead>
            <tr>
              <th scope="col">{isSource ? 'Source field' : 'Attribute'}</th>
              <th scope="col">{isSource ? 'Attribute' : 'Destination field'}</th>
              <th scope="col">Transform</th>
              {isSource && <th scope="col">Identity</th>}
              <th scope="col">Drop</th>
              <th scope="col">
                <span className="visually-hidden">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {mapping.fields.map((field, index) => {
              const from = [field.from].flat().join(', ')
              const transform = [field.transform ?? []].flat()[0] ?? ''
              return (
                // Rows are edited in place and only removed by position.
                // biome-ignore lint/suspicious/noArrayIndexKey: see above
                <tr key={index}>
                  <td>
                    <input
                      className="input"
                      list={listId}
                      aria-label={`Row ${index + 1}: from`}
                      value={from}
                      onChange={(event) => setField(index, { from: fromOf(event.target.value) })}
                    />
                  </td>
                  <td>
                    <input
                      className="input"
                      aria-label={`Row ${index + 1}: to`}
                      value={field.to ?? ''}
                      disabled={field.drop}
                      onChange={(event) => setField(index, { to: event.target.value })}
                    />
                  </td>
                  <td>
                    <select
                      className="input"
                      aria-label={`Row ${index + 1}: transform`}
                      value={transform}
                      onChange={(event) => {
                        const { transform: _old, ...rest } = field
                        const next = event.target.value as Transform | ''
                        setMapping(
                          {
                            ...mapping,
                            fields: mapping.fields.map((entry, at) =>
                              at === index
                                ? ((next ? { ...rest, transform: next } : rest) as MappingField)
                                : entry,
                            ),
                          },
                          `${index}:transform`,
                        )
                      }}
                    >
                      <option value="">none</option>
                      {mappingTransforms.map((name) => (
                        <option key={name} value={name}>
                          {name}
                        </option>
                      ))}
                    </select>
                  </td>
                  {isSource && (
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Row ${index + 1}: identity`}
                        checked={field.identity ?? false}
                        onChange={(event) => setField(index, { identity: event.target.checked })}
                      />
                    </td>
                  )}
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Row ${index + 1}: drop`}
                      checked={field.drop ?? false}
                      onChange={(event) => setField(index, { drop: event.target.checked })}
                    />
                  </td>
                  <td>
                    <button
                      type="button"
                      className="button button-small button-ghost"
                      aria-label={`Remove row ${index + 1}`}
                      onClick={() => removeField(index)}
                    >
                      ×
                    </button>
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
      <div className="mapping-add">
        <input
          className="input"
          list={listId}
          aria-label="New field: from"
          placeholder={isSource ? 'source field' : 'attribute'}
          value={draft.from}
          onChange={(event) => setDraft({ ...draft, from: event.target.value })}
        />
        <input
          className="input"
          aria-label="New field: to"
          placeholder={isSource ? 'attribute' : 'destination field'}
          value={draft.to}
          onChange={(event) => setDraft({ ...draft, to: event.target.value })}
        />
        <button
          type="button"
          className="button button-small"
          onClick={addDraft}
          disabled={!draft.from.trim() || !draft.to.trim()}
        >
          Add field
        </button>
      </div>
      <div className="button-row">
        {unmapped.length > 0 && (
          <button
            type="button"
            className="button button-small"
            onClick={() =>
              setMapping(
                {
                  ...mapping,
                  fields: [...mapping.fields, ...unmapped.map((name) => ({ from: name, to: name }))],
                },
                'add-all',
              )
            }
          >
            Add the sample’s {unmapped.length} other fields
          </button>
        )}
      </div>
      <label className="checkbox-row">
        <input
          type="checkbox"
          checked={mapping.keepUnmapped !== false}
          onChange={(event) => setMapping({ ...mapping, keepUnmapped: event.target.checked }, 'keep')}
        />
        Pass fields the mapping does not name through unchanged
      </label>

      <section className="inspector-section" aria-label="Mapping preview">
        <div className="section-head">
          <h3>Preview</h3>
          <button
            type="button"
            className="button button-small"
            onClick={() => (isSource ? preview.mutate() : profiles.mutate())}
            disabled={preview.isPending || profiles.isPending}
          >
            {samples.length ? 'Reload sample' : isSource ? 'Load sample records' : 'Load sample profiles'}
          </button>
        </div>
        {sampleError && (
          <p className="form-error" role="alert">
            {errorMessage(sampleError)}
          </p>
        )}
        {samples.slice(0, 3).map((sample, index) => {
          const mapped = applyMapping(sample, mapping)
          return (
            // Samples are shown in the order read and replaced as a whole.
            // biome-ignore lint/suspicious/noArrayIndexKey: see above
            <dl key={index} className="facts mapping-result">
              {Object.entries(mapped.attributes).map(([name, value]) => (
                <div key={name} className="mapping-pair">
                  <dt>
                    {name}
                    {mapped.identityFields.includes(name) && (
                      <span className="badge badge-none">identity</span>
                    )}
                  </dt>
                  <dd>{typeof value === 'object' ? JSON.stringify(value) : String(value)}</dd>
                </div>
              ))}
            </dl>
          )
        })}
      </section>
    </fieldset>
  )
}
