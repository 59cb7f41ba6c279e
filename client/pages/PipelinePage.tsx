import { useEffect, useState } from 'react'
import { Link, useParams } from 'react-router'
import { PipelineCanvas } from '../canvas/PipelineCanvas.tsx'
import { documentWithLayout, useCanvasStore } from '../canvas/store.ts'
import { EmptyState } from '../components/EmptyState.tsx'
import { PipelinesIcon } from '../components/icons.tsx'
import { LoadError, Loading } from '../components/QueryStates.tsx'
import { toast } from '../components/toast-store.ts'
import { isApiError } from '../lib/api.ts'
import { DeployDialog } from '../pipeline/DeployDialog.tsx'
import { NodePanel } from '../pipeline/NodePanel.tsx'
import { ValidationPanel } from '../pipeline/ValidationPanel.tsx'
import {
  updateErrorMessage,
  useDeployPipeline,
  usePipeline,
  usePipelineStatus,
  usePlanPipeline,
  useUpdatePipeline,
  useValidatePipeline,
} from '../queries/pipelines.ts'
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
  const load = useCanvasStore((state) => state.load)
  const reset = useCanvasStore((state) => state.reset)
  // Until the store holds this pipeline, the canvas would draw the previous one (and fit the view to it).
  const loaded = useCanvasStore((state) => state.pipelineId === pipeline.id)
  const dirty = useCanvasStore((state) => state.dirty)
  const setValidation = useCanvasStore((state) => state.setValidation)
  const selectedId = useCanvasStore((state) => state.selectedId)
  const deployed = pipeline.deployedVersion !== null
  usePipelineStatus(pipeline.id, deployed)

  const update = useUpdatePipeline()
  const validate = useValidatePipeline(pipeline.id)
  const planner = usePlanPipeline(pipeline.id)
  const deploy = useDeployPipeline(pipeline.id)
  const [plan, setPlan] = useState<DeployPlan | null>(null)

  // Reload the canvas only when a new version arrives, so a background refetch keeps unsaved moves.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the document changes only with the version
  useEffect(() => load(pipeline.id, pipeline.document), [load, pipeline.id, pipeline.version])
  useEffect(() => reset, [reset])

  const saveLayout = async (): Promise<boolean> => {
    const state = useCanvasStore.getState()
    try {
      await update.mutateAsync({
        id: pipeline.id,
        document: documentWithLayout(state),
        version: pipeline.version,
      })
      useCanvasStore.setState({ dirty: false })
      return true
    } catch (error) {
      toast.error(updateErrorMessage(error))
      return false
    }
  }

  const showProblems = (error: unknown) => {
    const problems = problemsOf(error)
    if (problems) setValidation({ ok: false, errors: problems })
    toast.error(
      problems ? 'The pipeline has problems to fix before it can be deployed.' : updateErrorMessage(error),
    )
  }

  const startDeploy = async () => {
    // A deploy takes the stored draft, so nodes moved since the last save are saved first.
    if (dirty && !(await saveLayout())) return
    planner.mutate(undefined, { onSuccess: setPlan, onError: showProblems })
  }

  const confirmDeploy = () =>
    deploy.mutate(undefined, {
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

  const busy = update.isPending || planner.isPending || deploy.isPending

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
          </div>
          {pipeline.description && <p className="page-subtitle">{pipeline.description}</p>}
        </div>
        <div className="page-actions">
          <button
            type="button"
            className="button"
            onClick={() => void saveLayout().then((saved) => saved && toast.success('Layout saved.'))}
            disabled={!dirty || busy}
          >
            Save layout
          </button>
          <button
            type="button"
            className="button"
            onClick={() => validate.mutate(undefined, { onSuccess: setValidation })}
            disabled={validate.isPending}
          >
            Validate
          </button>
          <button
            type="button"
            className="button button-primary"
            onClick={() => void startDeploy()}
            disabled={busy}
          >
            Deploy
          </button>
        </div>
      </header>

      <ValidationPanel />

      <div className="canvas-area">
        {loaded && <PipelineCanvas />}
        {pipeline.document.nodes.length === 0 && (
          <div className="canvas-empty">
            <h2>This pipeline is empty</h2>
            <p>
              Its nodes will appear here. Adding nodes on the canvas is not available in this version yet.
            </p>
          </div>
        )}
        {selectedId && <NodePanel />}
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
    </div>
  )
}
