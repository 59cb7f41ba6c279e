import { useState } from 'react'
import type { Cadence } from '../../../nodes/cadence.ts'
import { addNode, wireAuthorization } from '../../canvas/document-ops.ts'
import { defaultConfig, jobNode, jobTitle, KIND_OF, needsCredentials } from '../../canvas/palette-items.ts'
import { useCanvasStore } from '../../canvas/store.ts'
import { Dialog } from '../../components/Dialog.tsx'
import { Field } from '../../components/Field.tsx'
import { ProviderIcon } from '../../components/ProviderIcon.tsx'
import { SearchField } from '../../components/SearchField.tsx'
import { SchemaForm } from '../../forms/SchemaForm.tsx'
import { type AuthorizationSummary, useAuthorizations } from '../../queries/authorizations.ts'
import { useProviders } from '../../queries/providers.ts'
import type { JobTypeInfo, ProviderInfo } from '../../types.ts'
import { CadenceEditor } from '../inspector/CadenceEditor.tsx'
import { NewAuthorizationDialog } from '../inspector/NewAuthorizationDialog.tsx'

const STEPS = ['Provider', 'Job type', 'Authorization', 'Configure'] as const

/**
 * The create-new wizard, in Lytics' order: pick a provider, then what to do with it, then which
 * authorization (an existing one, or a new one made on the spot), then its settings. Finishing
 * places the node — and its authorization node, wired — on the canvas as one undo step.
 */
export function CreateWizard({
  at,
  direction,
  onClose,
}: {
  /** Where the new node goes, in flow coordinates. */
  at: { x: number; y: number }
  /** Only providers and job types of this direction (opened from the Sources list, say). */
  direction?: JobTypeInfo['direction']
  onClose: () => void
}) {
  const providers = useProviders()
  const [query, setQuery] = useState('')
  const [provider, setProvider] = useState<ProviderInfo | null>(null)
  const [jobType, setJobType] = useState<JobTypeInfo | null>(null)
  const [authorization, setAuthorization] = useState<AuthorizationSummary | null>(null)
  const [creating, setCreating] = useState(false)
  const [name, setName] = useState('')
  const [config, setConfig] = useState<Record<string, unknown>>({})
  const [cadence, setCadence] = useState<Cadence | undefined>(undefined)
  const [authorizationChosen, setAuthorizationChosen] = useState(false)
  const authorizations = useAuthorizations(provider?.id)
  const credentialsNeeded = provider ? needsCredentials(provider) : false
  const step = !provider ? 0 : !jobType ? 1 : credentialsNeeded && !authorizationChosen ? 2 : 3

  const chooseJobType = (chosen: JobTypeInfo) => {
    setJobType(chosen)
    setName(jobTitle(provider!, chosen))
    setConfig(defaultConfig(chosen.configSchema))
    setCadence((chosen.defaultCadence ?? undefined) as Cadence | undefined)
  }

  const finish = () => {
    const { document, commit } = useCanvasStore.getState()
    const node = jobNode(document, provider!, jobType!, at, { name, config, cadence: cadence ?? null })
    let next = addNode(document, node)
    if (authorization) next = wireAuthorization(next, node.id, authorization)
    commit(next, [node.id])
    onClose()
  }

  const jobTypesOf = (entry: ProviderInfo) =>
    direction ? entry.jobTypes.filter((candidate) => candidate.direction === direction) : entry.jobTypes
  const list = (providers.data ?? []).filter(
    (entry) =>
      jobTypesOf(entry).length > 0 &&
      `${entry.title} ${entry.description} ${entry.category}`.toLowerCase().includes(query.toLowerCase()),
  )
  const missingAuthorization = Boolean(jobType?.requiresAuthorization && credentialsNeeded && !authorization)

  return (
    <Dialog title="Add a data source or destination" onClose={onClose} size="large">
      <ol className="wizard-steps" aria-label="Steps">
        {STEPS.map((label, index) => (
          <li
            key={label}
            className={index === step ? 'is-current' : index < step ? 'is-done' : undefined}
            aria-current={index === step ? 'step' : undefined}
          >
            {label}
          </li>
        ))}
      </ol>

      {step === 0 && (
        <>
          <SearchField label="Search providers" value={query} onChange={setQuery} />
          <ul className="wizard-tiles">
            {list.map((entry) => (
              <li key={entry.id}>
                <button type="button" className="wizard-tile" onClick={() => setProvider(entry)}>
                  <ProviderIcon svg={entry.icon} size={32} />
                  <strong>{entry.title}</strong>
                  <span>{entry.description}</span>
                </button>
              </li>
            ))}
          </ul>
        </>
      )}

      {step === 1 && provider && (
        <ul className="wizard-tiles">
          {jobTypesOf(provider).map((entry) => (
            <li key={entry.id}>
              <button type="button" className="wizard-tile" onClick={() => chooseJobType(entry)}>
                <strong>{entry.title}</strong>
                <span className="badge badge-none">{KIND_OF[entry.direction]}</span>
                <span>{entry.description}</span>
              </button>
            </li>
          ))}
        </ul>
      )}

      {step === 2 && provider && (
        <section aria-label="Authorization" className="inspector-section">
          <h3>Which {provider.title} account?</h3>
          {authorizations.data?.length === 0 && (
            <p className="field-hint">No {provider.title} authorization in the Vault yet.</p>
          )}
          <div className="wizard-choices">
            {authorizations.data?.map((entry) => (
              <label key={entry.id} className="checkbox-row">
                <input
                  type="radio"
                  name="wizard-authorization"
                  checked={authorization?.id === entry.id}
                  onChange={() => setAuthorization(entry)}
                />
                {entry.name}
              </label>
            ))}
          </div>
          <button type="button" className="button button-small" onClick={() => setCreating(true)}>
            Create new authorization
          </button>
        </section>
      )}

      {step === 3 && provider && jobType && (
        <div className="wizard-configure">
          <Field label="Node name" value={name} onChange={(event) => setName(event.target.value)} />
          <section aria-label="Settings" className="inspector-section">
            <h3>Settings</h3>
            <SchemaForm schema={jobType.configSchema} value={config} onChange={setConfig} idPrefix="wizard" />
          </section>
          <CadenceEditor
            cadence={cadence}
            onChange={setCadence}
            allowRealtime={jobType.defaultCadence === 'realtime'}
          />
        </div>
      )}

      <div className="dialog-actions">
        {step > 0 && (
          <button
            type="button"
            className="button"
            onClick={() => {
              if (step === 3 && credentialsNeeded) setAuthorizationChosen(false)
              else if (step >= 2) setJobType(null)
              else setProvider(null)
            }}
          >
            Back
          </button>
        )}
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        {step === 2 && (
          <button
            type="button"
            className="button button-primary"
            onClick={() => setAuthorizationChosen(true)}
            disabled={missingAuthorization}
          >
            {authorization || !jobType?.requiresAuthorization ? 'Next' : 'Choose an authorization'}
          </button>
        )}
        {step === 3 && (
          <button
            type="button"
            className="button button-primary"
            onClick={finish}
            disabled={missingAuthorization}
            title={missingAuthorization ? 'Choose or create an authorization first' : undefined}
          >
            Add to canvas
          </button>
        )}
      </div>
      {creating && provider && (
        <NewAuthorizationDialog
          provider={provider}
          onClose={() => setCreating(false)}
          onCreated={(created) => {
            setCreating(false)
            setAuthorization(created)
          }}
        />
      )}
    </Dialog>
  )
}
