import { useQuery } from '@tanstack/react-query'
import type { PipelineNode } from '../../../nodes/pipeline.ts'
import { JsonBlock } from '../../components/JsonBlock.tsx'
import { api } from '../../lib/api.ts'
import { useNodeStatus } from '../../queries/pipelines.ts'

interface JobConfig {
  config: Record<string, unknown>
  cadence: unknown
}

/**
 * The node as the document holds it (following the form as it changes) and, once deployed, the
 * job's effective configuration as the server runs it. Neither ever holds a secret: documents
 * reference the Vault, and the job API redacts.
 */
export function JsonTab({ node, pipelineId }: { node: PipelineNode; pipelineId: string | null }) {
  const status = useNodeStatus(pipelineId, node.id)
  const job = useQuery({
    queryKey: ['jobs', 'detail', status?.jobId],
    enabled: Boolean(status?.jobId),
    queryFn: ({ signal }) =>
      api.get<JobConfig>(`/api/jobs/${encodeURIComponent(status!.jobId)}`, undefined, signal),
  })
  return (
    <div className="inspector-json">
      <JsonBlock value={node} title="Node" what="Node JSON" />
      {job.data && (
        <JsonBlock
          value={{ config: job.data.config, cadence: job.data.cadence }}
          title="Deployed job"
          what="Job configuration"
        />
      )}
    </div>
  )
}
