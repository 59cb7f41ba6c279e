import { useMemo, useState } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
import type { AudienceFilter } from '../../nodes/audience.ts'
import { ConditionRows } from '../audiences/ConditionRows.tsx'
import { emptyRow, type FlatFilter, toFilter, toFlat } from '../audiences/flat-filter.ts'
import { Field } from '../components/Field.tsx'
import { FormError } from '../components/FormError.tsx'
import { PageHeader } from '../components/PageHeader.tsx'
import { LoadError, Loading } from '../components/QueryStates.tsx'
import { toast } from '../components/toast-store.ts'
import { formatNumber } from '../format.ts'
import { useDebouncedValue } from '../hooks/useDebouncedValue.ts'
import { errorMessage } from '../lib/api.ts'
import {
  type Audience,
  useAudienceDetail,
  useAudiencePreview,
  useDeleteAudience,
  useSaveAudience,
} from '../queries/audiences.ts'
import { useHasRole } from '../queries/auth.ts'
import { useStreams } from '../queries/streams.ts'

const START: FlatFilter = { match: 'and', rows: [emptyRow()] }

/** `/data/audiences/new` and `/data/audiences/:id`: build a filter and watch who it matches. */
export function AudiencePage() {
  const { id } = useParams()
  const existing = useAudienceDetail(id)
  if (id && existing.isPending) return <Loading label="Loading audience…" />
  if (id && existing.isError)
    return <LoadError error={existing.error} onRetry={() => void existing.refetch()} />
  return <AudienceBuilder key={id ?? 'new'} audience={id ? existing.data : undefined} />
}

function AudienceBuilder({ audience }: { audience: Audience | undefined }) {
  const navigate = useNavigate()
  const canEdit = useHasRole('editor')
  const streams = useStreams('')
  const [name, setName] = useState(audience?.name ?? '')
  const [description, setDescription] = useState(audience?.description ?? '')
  const initialFlat = audience ? toFlat(audience.filter) : START
  const [mode, setMode] = useState<'visual' | 'json'>(initialFlat ? 'visual' : 'json')
  const [flat, setFlat] = useState<FlatFilter>(initialFlat ?? START)
  const [json, setJson] = useState(() => JSON.stringify(audience?.filter ?? {}, null, 2))
  const save = useSaveAudience(audience?.id)
  const remove = useDeleteAudience(audience?.id ?? '')

  // The filter as it stands, from whichever editor is showing; null while incomplete.
  const parsed = useMemo((): { filter: AudienceFilter | null; error: string | null } => {
    if (mode === 'visual') return { filter: toFilter(flat), error: null }
    try {
      return { filter: JSON.parse(json) as AudienceFilter, error: null }
    } catch (error) {
      return { filter: null, error: `Not JSON: ${errorMessage(error)}` }
    }
  }, [mode, flat, json])
  const debounced = useDebouncedValue(JSON.stringify(parsed.filter))
  const preview = useAudiencePreview(debounced === 'null' ? null : (JSON.parse(debounced) as AudienceFilter))
  const fields = useMemo(
    () =>
      [...new Set((preview.data?.sample ?? []).flatMap((profile) => Object.keys(profile.attributes)))].sort(),
    [preview.data],
  )

  const switchMode = (next: 'visual' | 'json') => {
    if (next === 'json') setJson(JSON.stringify(parsed.filter ?? toFilter(flat) ?? {}, null, 2))
    else {
      const fromJson = parsed.filter ? toFlat(parsed.filter) : null
      if (!fromJson) return toast.error('This filter nests groups: keep editing it as JSON.')
      setFlat(fromJson)
    }
    setMode(next)
  }

  const submit = () => {
    if (!parsed.filter) return
    save.mutate(
      {
        name: name.trim(),
        description: description.trim(),
        filter: parsed.filter,
        ...(audience ? { version: audience.version } : {}),
      },
      {
        onSuccess: (saved) => {
          toast.success(`Audience "${saved.name}" saved.`)
          if (!audience) navigate(`/data/audiences/${encodeURIComponent(saved.id)}`, { replace: true })
        },
      },
    )
  }

  return (
    <>
      <PageHeader
        title={audience ? audience.name : 'New audience'}
        subtitle="A saved filter over profiles. Audience nodes on the canvas send its members to destinations."
        actions={
          <Link className="button" to="/data/audiences">
            All audiences
          </Link>
        }
      />
      <div className="audience-builder">
        <form
          className="form"
          onSubmit={(event) => {
            event.preventDefault()
            submit()
          }}
          noValidate
        >
          <Field
            label="Name"
            value={name}
            maxLength={200}
            onChange={(change) => setName(change.target.value)}
          />
          <Field
            label="Description"
            value={description}
            maxLength={2000}
            onChange={(change) => setDescription(change.target.value)}
          />
          <fieldset className="button-group" aria-label="Editor">
            <button
              type="button"
              className={`button button-small${mode === 'visual' ? ' is-active' : ''}`}
              aria-pressed={mode === 'visual'}
              onClick={() => switchMode('visual')}
            >
              Conditions
            </button>
            <button
              type="button"
              className={`button button-small${mode === 'json' ? ' is-active' : ''}`}
              aria-pressed={mode === 'json'}
              onClick={() => switchMode('json')}
            >
              JSON
            </button>
          </fieldset>
          {mode === 'visual' ? (
            <ConditionRows
              flat={flat}
              onChange={setFlat}
              fields={fields}
              streams={streams.items.map((entry) => entry.name)}
            />
          ) : (
            <div className="field">
              <label className="field-label" htmlFor="audience-json">
                Filter (JSON)
              </label>
              <textarea
                id="audience-json"
                className="input code-input"
                rows={12}
                value={json}
                onChange={(change) => setJson(change.target.value)}
              />
              <p className="field-hint">
                Conditions {'{ field, op, value }'} or {'{ stream }'}, grouped with and, or and not.
              </p>
            </div>
          )}
          {(parsed.error || preview.isError) && (
            <p className="form-error" role="alert">
              {parsed.error ?? errorMessage(preview.error)}
            </p>
          )}
          <FormError error={save.error} />
          <FormError error={remove.error} />
          {canEdit && (
            <div className="dialog-actions">
              {audience && (
                <button
                  type="button"
                  className="button button-danger"
                  disabled={remove.isPending}
                  onClick={() =>
                    remove.mutate(undefined, {
                      onSuccess: () => {
                        toast.success(`Audience "${audience.name}" deleted.`)
                        navigate('/data/audiences')
                      },
                    })
                  }
                >
                  Delete
                </button>
              )}
              <button
                type="submit"
                className="button button-primary"
                disabled={save.isPending || !name.trim() || !parsed.filter}
              >
                Save audience
              </button>
            </div>
          )}
        </form>

        <section className="audience-preview" aria-label="Who matches">
          <h2>Who matches</h2>
          {!parsed.filter ? (
            <p className="muted">Complete the conditions to see who matches.</p>
          ) : preview.data ? (
            <>
              <p className="audience-count" data-testid="audience-count">
                {formatNumber(preview.data.count)} {preview.data.count === 1 ? 'profile' : 'profiles'}
              </p>
              <ul className="audience-sample">
                {preview.data.sample.map((profile) => (
                  <li key={profile.id}>
                    <Link to={`/data/profiles/${encodeURIComponent(profile.id)}`}>
                      {String(profile.attributes.email ?? profile.attributes.name ?? profile.id)}
                    </Link>
                  </li>
                ))}
              </ul>
            </>
          ) : (
            <Loading label="Counting…" />
          )}
        </section>
      </div>
    </>
  )
}
