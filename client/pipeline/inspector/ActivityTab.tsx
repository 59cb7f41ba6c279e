import { JobActivity } from '../../jobs/JobActivity.tsx'
import { useNodeStatus } from '../../queries/pipelines.ts'

/** The Activity tab: a deployed job's profiles added, removed and omitted over a chosen time frame. */
export function ActivityTab({ nodeId, pipelineId }: { nodeId: string; pipelineId: string | null }) {
  const status = useNodeStatus(pipelineId, nodeId)
  if (!status)
    return <p className="field-hint">This node has no job yet: deploy the pipeline to see its activity.</p>
  return <JobActivity jobId={status.jobId} />
}
