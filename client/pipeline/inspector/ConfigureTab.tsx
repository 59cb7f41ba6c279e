import { useState } from 'react'
import type { Cadence } from '../../../nodes/cadence.ts'
import type { PipelineNode } from '../../../nodes/pipeline.ts'
import { authorizationNodeOf, updateNode, wireAuthorization } from '../../canvas/document-ops.ts'
import { needsCredentials } from '../../canvas/palette-items.ts'
import { useCanvasStore } from '../../canvas/store.ts'
import { Field } from '../../components/Field.tsx'
import { SchemaForm } from '../../forms/SchemaForm.tsx'
import { useAudiences } from '../../queries/audiences.ts'
import { type AuthorizationSummary, useAuthorizations } from '../../queries/authorizations.ts'
import { useProvider } from '../../queries/providers.ts'
import type { ProviderInfo } from '../../types.ts'
import { CadenceEditor } from './CadenceEditor.tsx'
import { NewAuthorizationDialog } from './NewAuthorizationDialog.tsx'

/** Changes the selected node; typing into one field of it makes one undo step. */
function useEditNode(nodeId: string) {
  const commit = useCanvasStore((state) => state.commit)
  return (field: string, change: (node: PipelineNode) => PipelineNode) =>
    commit(updateNode(useCanvasStore.getState().document, nodeId, change), null, `${nodeId}:${field}`)
}

/** The Configure tab: name, description, and what the node's kind needs configured. */
export function ConfigureTab({ node, readOnly }: { node: PipelineNode; readOnly: boolean }) {
  const edit = useEditNode(node.id)
  return (
    <fieldset className="inspector-form" disabled={readOnly}>
      <Field
        label="Name"
        value={node.name}
        onChange={(event) => edit('name', (current) => ({ ...current, name: event.target.value }))}
      />
      {(node.kind === 'source' || node.kind === 'destination' || node.kind === 'enrichment') && (
        <JobSettings node={node} edit={edit} />
      )}
      {node.kind === 'authorization' && <AuthorizationSettings node={node} />}
      {node.kind === 'note' && (
        <div className="field">
          <label className="field-label" htmlFor={`${node.id}-text`}>
            Text
          </label>
          <textarea
            id={`${node.id}-text`}
            className="input"
            rows={6}
            value={node.data.text}
            onChange={(event) =>
              edit('text', (current) => ({ ...current, data: { text: event.target.value } }) as PipelineNode)
            }
          />
        </div>
      )}
      {node.kind === 'audience' && (
        <AudiencePicker
          value={node.data.audienceId}
          onChange={(audienceId) =>
            edit('audience', (current) => ({ ...current, data: { audienceId } }) as PipelineNode)
          }
        />
      )}
    </fieldset>
  )
}

type JobNode = Extract<PipelineNode, { kind: 'source' | 'destination' | 'enrichment' }>
type Edit = ReturnType<typeof useEditNode>

function JobSettings({ node, edit }: { node: JobNode; edit: Edit }) {
  const provider = useProvider(node.provider)
  const jobType = provider?.jobTypes.find((candidate) => candidate.id === node.jobType)
  if (!provider || !jobType)
    return <p className="field-error">Unknown job type {`${node.provider}.${node.jobType}`}.</p>
  const setData = (field: string, data: Partial<JobNode['data']>) =>
    edit(
      field,
      (current) => ({ ...current, data: { ...(current as JobNode).data, ...data } }) as PipelineNode,
    )
  return (
    <>
      <p className="field-hint">{jobType.description}</p>
      {needsCredentials(provider) && <AuthorizationPicker node={node} provider={provider} />}
      <section aria-label="Settings" className="inspector-section">
        <h3>Settings</h3>
        <SchemaForm
          schema={jobType.configSchema}
          value={node.data.config}
          onChange={(config, field) => setData(`config:${field ?? ''}`, { config })}
          idPrefix={`config-${node.id}`}
        />
      </section>
      <CadenceEditor
        cadence={(node.data.cadence ?? jobType.defaultCadence) as Cadence | undefined}
        onChange={(cadence) => setData('cadence', { cadence })}
        allowRealtime={jobType.defaultCadence === 'realtime'}
      />
    </>
  )
}

/**
 * Which Vault authorization a job node uses: pick one of the provider's, or create one in a
 * dialog; either way the authorization node is placed and wired on the canvas.
 */
function AuthorizationPicker({ node, provider }: { node: JobNode; provider: ProviderInfo }) {
  const commit = useCanvasStore((state) => state.commit)
  const wired = useCanvasStore((state) => authorizationNodeOf(state.document, node.id))
  const authorizations = useAuthorizations(provider.id)
  const [creating, setCreating] = useState(false)
  const use = (authorization: Pick<AuthorizationSummary, 'id' | 'name' | 'provider'>) =>
    commit(wireAuthorization(useCanvasStore.getState().document, node.id, authorization))
  const NEW = '__new__'
  return (
    <div className="field">
      <label className="field-label" htmlFor={`${node.id}-authorization`}>
        Authorization
      </label>
      <select
        id={`${node.id}-authorization`}
        className="input"
        value={wired?.data.authorizationId ?? ''}
        onChange={(event) => {
          if (event.target.value === NEW) return setCreating(true)
          const chosen = authorizations.data?.find((entry) => entry.id === event.target.value)
          if (chosen) use(chosen)
        }}
      >
        <option value="" disabled>
          {authorizations.isPending ? 'Loading…' : 'Choose an authorization'}
        </option>
        {authorizations.data?.map((entry) => (
          <option key={entry.id} value={entry.id}>
            {entry.name}
          </option>
        ))}
        <option value={NEW}>Create new authorization…</option>
      </select>
      {creating && (
        <NewAuthorizationDialog
          provider={provider}
          onClose={() => setCreating(false)}
          onCreated={(authorization) => {
            setCreating(false)
            use(authorization)
          }}
        />
      )}
    </div>
  )
}

/** An authorization node: which Vault authorization of its provider it stands for. */
function AuthorizationSettings({ node }: { node: Extract<PipelineNode, { kind: 'authorization' }> }) {
  const commit = useCanvasStore((state) => state.commit)
  const authorizations = useAuthorizations(node.provider)
  return (
    <div className="field">
      <label className="field-label" htmlFor={`${node.id}-vault`}>
        Vault authorization
      </label>
      <select
        id={`${node.id}-vault`}
        className="input"
        value={node.data.authorizationId ?? ''}
        onChange={(event) => {
          const chosen = authorizations.data?.find((entry) => entry.id === event.target.value)
          if (!chosen) return
          commit(
            updateNode(
              useCanvasStore.getState().document,
              node.id,
              (current) =>
                ({
                  ...current,
                  name: chosen.name,
                  data: { authorizationId: chosen.id },
                }) as PipelineNode,
            ),
          )
        }}
      >
        <option value="" disabled>
          Choose an authorization
        </option>
        {authorizations.data?.map((entry) => (
          <option key={entry.id} value={entry.id}>
            {entry.name}
          </option>
        ))}
      </select>
    </div>
  )
}

/** Picks the saved audience an audience node sends on; audiences are built on the Data pages. */
function AudiencePicker({ value, onChange }: { value: string; onChange: (audienceId: string) => void }) {
  const audiences = useAudiences('')
  const known = audiences.data?.some((audience) => audience.id === value)
  return (
    <div className="field">
      <label className="field-label" htmlFor="node-audience">
        Audience
      </label>
      <select
        id="node-audience"
        className="input"
        value={value}
        onChange={(event) => onChange(event.target.value)}
      >
        <option value="">Choose an audience…</option>
        {value && !known && <option value={value}>{value} (not found)</option>}
        {audiences.data?.map((audience) => (
          <option key={audience.id} value={audience.id}>
            {audience.name}
          </option>
        ))}
      </select>
      <p className="field-hint">
        The saved audience whose members flow on.{' '}
        <a href="/data/audiences/new" target="_blank" rel="noreferrer">
          Build an audience
        </a>
      </p>
    </div>
  )
}
