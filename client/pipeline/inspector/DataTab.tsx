import { useMutation } from '@tanstack/react-query'
import { useState } from 'react'
import type { PipelineNode } from '../../../nodes/pipeline.ts'
import { authorizationNodeOf } from '../../canvas/document-ops.ts'
import { useCanvasStore } from '../../canvas/store.ts'
import { JsonBlock } from '../../components/JsonBlock.tsx'
import { api, errorMessage } from '../../lib/api.ts'

export interface PreviewRecord {
  key: string
  eventTime?: string
  data: Record<string, unknown>
}
export interface Preview {
  records: PreviewRecord[]
  schema: unknown
}

type JobNode = Extract<PipelineNode, { kind: 'source' }>

/** Reads a source node's first records as it is configured now, with no side effects. */
export function usePreview(node: JobNode) {
  const authorizationId = useCanvasStore(
    (state) => authorizationNodeOf(state.document, node.id)?.data.authorizationId,
  )
  return useMutation({
    mutationFn: () =>
      api.post<Preview>('/api/preview', {
        provider: node.provider,
        jobType: node.jobType,
        config: node.data.config,
        ...(authorizationId ? { authorizationId } : {}),
      }),
    meta: { inlineErrors: true },
  })
}

const cell = (value: unknown) =>
  value === null || value === undefined
    ? ''
    : typeof value === 'object'
      ? JSON.stringify(value)
      : String(value)

/** The Data tab: a source's first records as a table, as JSON, and the schema inferred from them. */
export function DataTab({ node }: { node: JobNode }) {
  const preview = usePreview(node)
  const [view, setView] = useState<'table' | 'json' | 'schema'>('table')
  const records = preview.data?.records ?? []
  const columns = [...new Set(records.flatMap((record) => Object.keys(record.data)))]
  return (
    <div className="data-tab">
      <div className="button-row">
        <button
          type="button"
          className="button button-primary"
          onClick={() => preview.mutate()}
          disabled={preview.isPending}
        >
          {preview.isPending ? 'Reading…' : preview.data ? 'Read again' : 'Preview records'}
        </button>
        {preview.data && (
          <select
            aria-label="Show the records as"
            className="input input-small"
            value={view}
            onChange={(event) => setView(event.target.value as typeof view)}
          >
            <option value="table">Table</option>
            <option value="json">JSON</option>
            <option value="schema">Schema</option>
          </select>
        )}
      </div>
      {preview.isError && (
        <p className="form-error" role="alert">
          {errorMessage(preview.error)}
        </p>
      )}
      {preview.data && records.length === 0 && (
        <p className="field-hint">The source has no records to read yet.</p>
      )}
      {preview.data && records.length > 0 && view === 'table' && (
        <div className="table-scroll">
          <table className="table table-compact" aria-label="Preview records">
            <thead>
              <tr>
                {columns.map((column) => (
                  <th key={column} scope="col">
                    {column}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {records.map((record) => (
                <tr key={record.key}>
                  {columns.map((column) => (
                    <td key={column}>{cell(record.data[column])}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {preview.data && view === 'json' && <JsonBlock value={records} title="Records" what="Records" />}
      {preview.data && view === 'schema' && (
        <JsonBlock value={preview.data.schema} title="Schema" what="Schema" />
      )}
    </div>
  )
}
