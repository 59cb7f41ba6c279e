import type { JobNode } from '../../../nodes/pipeline.ts'
import { useNodeFacts } from '../node-facts.ts'
import { NodeCard } from './NodeCard.tsx'

/** Source, destination and enrichment nodes: a provider's job type, run as a job once deployed. */
export function JobNodeCard({ doc, selected }: { doc: JobNode; selected: boolean }) {
  const provider = useNodeFacts((state) => state.providers.get(doc.provider))
  const jobType = provider?.jobTypes.find((candidate) => candidate.id === doc.jobType)
  return (
    <NodeCard
      id={doc.id}
      kind={doc.kind}
      name={doc.name}
      icon={provider?.icon}
      detail={
        <>
          {jobType?.title ?? doc.jobType}
          <span className="flow-node-provider"> · {provider?.title ?? doc.provider}</span>
        </>
      }
      selected={selected}
      hasJob
    />
  )
}
