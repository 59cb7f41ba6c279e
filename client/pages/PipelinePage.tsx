import { useQueryClient } from '@tanstack/react-query'
import { ReactFlowProvider, useReactFlow } from '@xyflow/react'
import { lazy, Suspense, useCallback, useEffect, useRef, useState } from 'react'
import { Link, useParams, useSearchParams } from 'react-router'
import { EditorCanvas } from '../canvas/EditorCanvas.tsx'
import { addItem, layoutAll } from '../canvas/editor-actions.ts'
import { useNodeFacts } from '../canvas/node-facts.ts'
import { Palette } from '../canvas/Palette.tsx'
import type { PaletteItem } from '../canvas/palette-items.ts'
import { useCanvasStore } from '../canvas/store.ts'
import { EmptyState } from '../components/EmptyState.tsx'
import { PipelinesIcon } from '../components/icons.tsx'
import { LoadError, Loading } from '../components/QueryStates.tsx'
import { toast } from '../components/toast-store.ts'
import { api, errorMessage, isApiError } from '../lib/api.ts'
import { DeployDialog } from '../pipeline/DeployDialog.tsx'
import { download, fileNameFor, parsePipelineFile, toPipelineFile } from '../pipeline/pipeline-file.ts'
import { SaveIndicator } from '../pipeline/SaveIndicator.tsx'
import { ShortcutsHelp } from '../pipeline/ShortcutsHelp.tsx'
import { useAutosave } from '../pipeline/useAutosave.ts'
import { ValidationPanel } from '../pipeline/ValidationPanel.tsx'
import { useHasRole } from '../queries/auth.ts'
import { usePipelineEvents } from '../queries/pipeline-events.ts'
import {
  pipelineKeys,
  updateErrorMessage,
  useDeployPipeline,
  usePipeline,
  usePipelineStatus,
  usePlanPipeline,
  useValidatePipeline,
} from '../queries/pipelines.ts'
import { useProviders } from '../queries/providers.ts'
import type { DeployPlan, DeployResult, Pipeline, ValidationProblem } from '../types.ts'

/** The `errors` a 422 from plan or deploy carries in `details`, when it carries them. */
function problemsOf(error: unknown): ValidationProblem[] | null {
  if (!isApiError(error, 422)) return null
  const errors = (error.details as { errors?: unknown } | null | undefined)?.errors
  return Array.isArray(errors) ? (errors as ValidationProblem[]) : null
}

/** "Deployed version 2: 1 job created, 1 updated." from the jobs a deploy touched. */
function deploySummary(result: DeployResult): string {
  const changed = result.jobs.filter((job) => job.action !== 'unchanged')
  if (result.changed === false || changed.length === 0)
    return 'Deployed: the jobs already matched this pipeline.'
  const parts = (['created', 'updated', 'removed'] as const).flatMap((action) => {
    const n = changed.filter((job) => job.action === action).length
    return n ? [`${n} ${action}`] : []
  })
  const [first = '', ...rest] = parts
  const noun = Number.parseInt(first, 10) === 1 ? 'job' : 'jobs'
  const lead = first.replace(/^(\d+) /, `$1 ${noun} `)
  return `Deployed version ${result.version}: ${[lead, ...rest].join(', ')}.`
}

// Forms, charts and highlighting load when first opened, so the canvas draws without them.
const Inspector = lazy(() =>
  import('../pipeline/inspector/Inspector.tsx').then((module) => ({ default: module.Inspector })),
)
type WizardDirection = 'import' | 'export' | 'enrichment'
const isWizardDirection = (value: string): value is WizardDirection =>
  value === 'import' || value === 'export' || value === 'enrichment'

const CreateWizard = lazy(() =>
  import('../pipeline/wizard/CreateWizard.tsx').then((module) => ({ default: module.CreateWizard })),
)
const HistoryDialog = lazy(() =>
  import('../pipeline/HistoryDialog.tsx').then((module) => ({ default: module.HistoryDialog })),
)

/** The inspector panel's width with its margin (see .node-panel in the styles). */
const INSPECTOR_WIDTH = 464

export function PipelinePage() {
  const { id = '' } = useParams()
  const pipeline = usePipeline(id)

  if (pipeline.isPending) return <Loading label="Loading pipeline…" />
  if (pipeline.isError) {
    if (isApiError(pipeline.error, 404)) {
      return (
        <div className="page">
          <title>Pipeline not found · Sluice</title>
          <EmptyState
            icon={<PipelinesIcon size={28} />}
            title="Pipeline not found"
            actions={
              <Link className="button button-primary" to="/pipelines">
                Back to Pipelines
              </Link>
            }
          >
            <p>It may have been deleted, or the link is wrong.</p>
          </EmptyState>
        </div>
      )
    }
    return <LoadError error={pipeline.error} onRetry={() => void pipeline.refetch()} />
  }
  return <PipelineView key={pipeline.data.id} pipeline={pipeline.data} />
}

function PipelineView({ pipeline }: { pipeline: Pipeline }) {
  return (
    <ReactFlowProvider>
      <PipelineEditor pipeline={pipeline} />
    </ReactFlowProvider>
  )
}

function PipelineEditor({ pipeline }: { pipeline: Pipeline }) {
  const load = useCanvasStore((state) => state.load)
  const reset = useCanvasStore((state) => state.reset)
  // Until the store holds this pipeline, the canvas would draw the previous one (and fit the view to it).
  const loaded = useCanvasStore((state) => state.pipelineId === pipeline.id)
  const empty = useCanvasStore((state) => state.document.nodes.length === 0)
  const canUndo = useCanvasStore((state) => state.past.length > 0)
  const canRedo = useCanvasStore((state) => state.future.length > 0)
  const undo = useCanvasStore((state) => state.undo)
  const redo = useCanvasStore((state) => state.redo)
  const setValidation = useCanvasStore((state) => state.setValidation)
  // A node picked up by a drag opens its inspector when it is put down, not mid-drag.
  const selectedId = useCanvasStore((state) => (state.dragging ? null : state.selectedId))
  const readOnly = !useHasRole('editor')
  const deployed = pipeline.deployedVersion !== null
  const statuses = usePipelineStatus(pipeline.id, deployed)
  const catalogue = useProviders()
  useEffect(() => useNodeFacts.getState().setStatuses(statuses.data?.nodes ?? {}), [statuses.data])
  useEffect(() => useNodeFacts.getState().setProviders(catalogue.data ?? []), [catalogue.data])
  usePipelineEvents(pipeline.id, deployed)
  const flow = useReactFlow()
  const autosave = useAutosave(pipeline.id, !readOnly)

  const validate = useValidatePipeline(pipeline.id)
  const planner = usePlanPipeline(pipeline.id)
  const deploy = useDeployPipeline(pipeline.id)
  const [plan, setPlan] = useState<DeployPlan | null>(null)
  const [help, setHelp] = useState(false)
  const [history, setHistory] = useState(false)
  const [restoring, setRestoring] = useState(false)
  const fileInput = useRef<HTMLInputElement>(null)
  const client = useQueryClient()
  const openHelp = useCallback(() => setHelp(true), [])

  // Load when another version arrives (first open, a rollback, someone else's save); our own
  // saves set the store's version first, so they never reset the history.
  useEffect(() => {
    const state = useCanvasStore.getState()
    if (state.pipelineId !== pipeline.id || (state.version !== pipeline.version && !state.dirty))
      load(pipeline.id, pipeline.document, pipeline.version)
  }, [load, pipeline.id, pipeline.version, pipeline.document])
  useEffect(() => reset, [reset])

  /** Where a node added without a drop point goes: the middle of the canvas the inspector leaves free. */
  const freeCentre = () => {
    const box = document.querySelector('.editor-canvas')?.getBoundingClientRect()
    // The inspector opens on the new node and covers the right of a wide canvas: centre in the rest.
    const visible = box ? box.width - (box.width > 800 ? INSPECTOR_WIDTH : 0) : 0
    const centre = box ? { x: box.left + visible / 2, y: box.top + box.height / 2 } : { x: 0, y: 0 }
    // A little scatter, so several clicks do not stack nodes exactly on top of each other.
    const nudge = (useCanvasStore.getState().document.nodes.length % 5) * 24
    return flow.screenToFlowPosition({ x: centre.x - 120 + nudge, y: centre.y - 50 + nudge })
  }
  const addAtCentre = (item: PaletteItem) => addItem(item, freeCentre())
  const [wizardAt, setWizardAt] = useState<{ x: number; y: number } | null>(null)
  const [wizardDirection, setWizardDirection] = useState<WizardDirection | undefined>(undefined)

  // Links from elsewhere: `?node=` opens the canvas on that node (a job summary's "Open on
  // canvas"), `?wizard=import|export|enrichment` opens the create wizard (a list's "+ Create New").
  const [params, setParams] = useSearchParams()
  const linkedNode = params.get('node')
  const linkedWizard = params.get('wizard')
  // biome-ignore lint/correctness/useExhaustiveDependencies: freeCentre reads the layout when the frame runs
  useEffect(() => {
    if (!loaded || (!linkedNode && !linkedWizard)) return
    const frame = requestAnimationFrame(() => {
      const { document: doc, select } = useCanvasStore.getState()
      if (linkedNode && doc.nodes.some((node) => node.id === linkedNode)) {
        select(linkedNode)
        void flow.fitView({ nodes: [{ id: linkedNode }], maxZoom: 1, duration: 0 })
      }
      if (linkedWizard && !readOnly) {
        setWizardDirection(isWizardDirection(linkedWizard) ? linkedWizard : undefined)
        setWizardAt(freeCentre())
      }
      setParams({}, { replace: true })
    })
    return () => cancelAnimationFrame(frame)
  }, [loaded, linkedNode, linkedWizard, flow, readOnly, setParams])

  const exportFile = () =>
    download(fileNameFor(pipeline.name), toPipelineFile(pipeline, useCanvasStore.getState().document))

  /** Import replaces the canvas with the file's nodes and edges: one undo step, autosaved. */
  const importFile = async (file: File) => {
    const parsed = await parsePipelineFile(await file.text(), pipeline.name)
    if (!parsed.ok) return toast.error(`Cannot import ${file.name}: ${parsed.message}.`)
    useCanvasStore.getState().commit(parsed.file.document, [])
    toast.success(
      `Imported ${parsed.file.document.nodes.length} nodes from ${file.name}. Undo brings back what was here.`,
    )
  }

  /** Restores a deployed version as the draft, after saving what is being edited. */
  const restore = async (version: number) => {
    if (!(await autosave.flush())) return
    setRestoring(true)
    try {
      const restored = await api.post<Pipeline>(
        `/api/pipelines/${encodeURIComponent(pipeline.id)}/rollback`,
        {
          version,
        },
      )
      client.setQueryData(pipelineKeys.detail(pipeline.id), restored)
      load(restored.id, restored.document, restored.version)
      setHistory(false)
      toast.success(`Version ${version} restored as the draft: deploy to make it live.`)
    } catch (error) {
      toast.error(errorMessage(error))
    } finally {
      setRestoring(false)
    }
  }

  const showProblems = (error: unknown) => {
    const problems = problemsOf(error)
    if (problems) setValidation({ ok: false, errors: problems })
    toast.error(
      problems ? 'The pipeline has problems to fix before it can be deployed.' : updateErrorMessage(error),
    )
  }

  // Validate, plan and deploy read the stored draft: the latest edits are saved first.
  const runValidate = async () => {
    if (!(await autosave.flush())) return
    validate.mutate(undefined, {
      onSuccess: (result) => {
        setValidation(result)
        if (result.ok) toast.success('The pipeline is valid.')
      },
    })
  }

  const startDeploy = async () => {
    if (!(await autosave.flush())) return
    planner.mutate(undefined, { onSuccess: setPlan, onError: showProblems })
  }

  const confirmDeploy = (options: { startPaused: boolean }) =>
    deploy.mutate(options, {
      onSuccess: (result) => {
        setPlan(null)
        setValidation(null)
        toast.success(deploySummary(result))
      },
      onError: (error) => {
        setPlan(null)
        showProblems(error)
      },
    })

  const busy = planner.isPending || deploy.isPending

  return (
    <div className="pipeline-page">
      <title>{`${pipeline.name} · Sluice`}</title>
      <header className="pipeline-header">
        <div className="pipeline-heading">
          <Link to="/pipelines" className="breadcrumb">
            Pipelines
          </Link>
          <div className="pipeline-title-row">
            <h1 className="page-title">{pipeline.name}</h1>
            <span className="badge badge-none">Draft v{pipeline.version}</span>
            {deployed ? (
              <span className="badge badge-success">Deployed v{pipeline.deployedVersion}</span>
            ) : (
              <span className="badge badge-none">Not deployed</span>
            )}
            {!readOnly && <SaveIndicator state={autosave.state} onRetry={() => void autosave.flush()} />}
          </div>
          {pipeline.description && <p className="page-subtitle">{pipeline.description}</p>}
        </div>
        <div className="page-actions">
          {!readOnly && (
            <fieldset className="button-group">
              <legend className="visually-hidden">Edit</legend>
              <button
                type="button"
                className="button"
                onClick={undo}
                disabled={!canUndo}
                title="Undo (Ctrl+Z)"
              >
                Undo
              </button>
              <button
                type="button"
                className="button"
                onClick={redo}
                disabled={!canRedo}
                title="Redo (Ctrl+Shift+Z)"
              >
                Redo
              </button>
              <button
                type="button"
                className="button"
                onClick={() =>
                  void layoutAll().then(() =>
                    requestAnimationFrame(() => void flow.fitView({ padding: 0.25, maxZoom: 1.1 })),
                  )
                }
              >
                Auto-layout
              </button>
            </fieldset>
          )}
          <button type="button" className="button" onClick={exportFile}>
            Export
          </button>
          {!readOnly && (
            <>
              <button type="button" className="button" onClick={() => fileInput.current?.click()}>
                Import
              </button>
              <input
                ref={fileInput}
                type="file"
                accept="application/json,.json"
                className="visually-hidden"
                aria-label="Pipeline file to import"
                tabIndex={-1}
                onChange={(event) => {
                  const file = event.target.files?.[0]
                  event.target.value = ''
                  if (file) void importFile(file)
                }}
              />
              <button type="button" className="button" onClick={() => setHistory(true)}>
                History
              </button>
            </>
          )}
          <button
            type="button"
            className="button button-ghost"
            onClick={openHelp}
            aria-label="Keyboard shortcuts"
          >
            ?
          </button>
          <button
            type="button"
            className="button"
            onClick={() => void runValidate()}
            disabled={validate.isPending}
          >
            Validate
          </button>
          {!readOnly && (
            <button
              type="button"
              className="button button-primary"
              onClick={() => void startDeploy()}
              disabled={busy}
            >
              Deploy
            </button>
          )}
        </div>
      </header>

      {autosave.state.kind === 'conflict' && (
        <div className="banner banner-warning" role="alert">
          <span>
            Someone else saved this pipeline while you were editing it. Reload their version (your unsaved
            changes are dropped), or overwrite it with yours.
          </span>
          <button type="button" className="button button-small" onClick={() => void autosave.reload()}>
            Reload theirs
          </button>
          <button type="button" className="button button-small" onClick={() => void autosave.overwrite()}>
            Overwrite with mine
          </button>
        </div>
      )}

      <ValidationPanel />

      <div className="editor-layout">
        {!readOnly && <Palette onAdd={addAtCentre} onWizard={() => setWizardAt(freeCentre())} />}
        <div className="canvas-area">
          {loaded && <EditorCanvas readOnly={readOnly} onHelp={openHelp} />}
          {loaded && empty && (
            <div className="canvas-empty">
              <h2>This pipeline is empty</h2>
              <p>
                {readOnly
                  ? 'An editor has not added nodes yet.'
                  : 'Drag a node from the palette, click one, or press / to search for one.'}
              </p>
            </div>
          )}
          {selectedId && (
            <Suspense fallback={<aside className="node-panel" aria-busy="true" />}>
              <Inspector readOnly={readOnly} />
            </Suspense>
          )}
        </div>
      </div>

      {plan && (
        <DeployDialog
          plan={plan}
          document={pipeline.document}
          deploying={deploy.isPending}
          onConfirm={confirmDeploy}
          onClose={() => setPlan(null)}
        />
      )}
      {help && <ShortcutsHelp onClose={() => setHelp(false)} />}
      <Suspense fallback={null}>
        {wizardAt && (
          <CreateWizard
            at={wizardAt}
            {...(wizardDirection ? { direction: wizardDirection } : {})}
            onClose={() => {
              setWizardAt(null)
              setWizardDirection(undefined)
            }}
          />
        )}
        {history && (
          <HistoryDialog
            pipelineId={pipeline.id}
            deployedVersion={pipeline.deployedVersion}
            restoring={restoring}
            onRestore={(version) => void restore(version)}
            onClose={() => setHistory(false)}
          />
        )}
      </Suspense>
    </div>
  )
}
