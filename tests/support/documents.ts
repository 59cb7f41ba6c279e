import type { JobNode, PipelineDocument } from '../../nodes/pipeline.ts'

let y = 0
const at = () => {
  y += 120
  return { x: 0, y }
}

export const sampleSource = (id = 'src', config: Record<string, unknown> = {}): JobNode => ({
  id,
  kind: 'source',
  provider: 'sample',
  jobType: 'events',
  name: `Sample ${id}`,
  position: at(),
  data: { config, cadence: { every: '15m' } },
})

export const fileDestination = (id = 'dst', config: Record<string, unknown> = {}): JobNode => ({
  id,
  kind: 'destination',
  provider: 'file-export',
  jobType: 'file',
  name: `File ${id}`,
  position: at(),
  data: { config },
})

export const edge = (source: string, target: string) => ({ id: `${source}->${target}`, source, target })

/** Sample data -> File export, the example pipeline's shape. */
export function sampleToFile(): PipelineDocument {
  return { version: 1, nodes: [sampleSource(), fileDestination()], edges: [edge('src', 'dst')] }
}

/** A Collect API source naming its stream, with an optional mapping. */
export const collectSource = (
  id: string,
  stream: string,
  mapping?: NonNullable<JobNode['data']['mapping']>,
): JobNode => ({
  id,
  kind: 'source',
  provider: 'collect',
  jobType: 'stream',
  name: `Collect ${stream}`,
  position: at(),
  data: { config: { stream }, cadence: 'realtime', ...(mapping ? { mapping } : {}) },
})
