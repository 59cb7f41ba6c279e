import type { PipelineDocument } from './pipeline.ts'

/** A pipeline a newcomer can deploy with one click: it needs no authorization and no outside system. */
export interface ExamplePipeline {
  name: string
  description: string
  document: PipelineDocument
}

/**
 * The starter pipeline: Sample data → File export, with a note explaining it. Isomorphic.
 * A fresh object on every call, so callers may change it freely.
 * @example await api.post('/api/pipelines', examplePipeline())
 */
export function examplePipeline(): ExamplePipeline {
  return {
    name: 'Example: sample customers to CSV',
    description: 'Generates sample customer events every 15 minutes and writes the profiles to a CSV file.',
    document: {
      version: 1,
      nodes: [
        {
          id: 'sample',
          kind: 'source',
          provider: 'sample',
          jobType: 'events',
          name: 'Sample customers',
          description: 'Made-up customers and their events; no account needed.',
          position: { x: 0, y: 80 },
          data: { config: {}, cadence: { every: '15m' } },
        },
        {
          id: 'file',
          kind: 'destination',
          provider: 'file-export',
          jobType: 'file',
          name: 'CSV file export',
          description: 'Writes the unified profiles to a CSV file in the data folder.',
          position: { x: 380, y: 80 },
          data: { config: { format: 'csv' } },
        },
        {
          id: 'about',
          kind: 'note',
          name: 'About this example',
          position: { x: 0, y: -140 },
          data: {
            text:
              'Sample customers imports made-up customer events every 15 minutes; Sluice unifies them ' +
              'into profiles, and CSV file export writes those profiles to a file. Press Deploy to ' +
              'start it, then click a node to see its configuration and status.',
          },
        },
      ],
      edges: [{ id: 'sample-to-file', source: 'sample', target: 'file' }],
    },
  }
}
