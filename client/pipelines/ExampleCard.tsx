import { useNavigate } from 'react-router'
import { examplePipeline } from '../../nodes/examples.ts'
import { ProviderIcon } from '../components/ProviderIcon.tsx'
import { useCreatePipeline } from '../queries/pipelines.ts'
import { useProvider } from '../queries/providers.ts'

/** A newcomer's first step: one click creates Sample data → File export and opens it. */
export function ExampleCard() {
  const create = useCreatePipeline()
  const navigate = useNavigate()
  const sample = useProvider('sample')
  const file = useProvider('file-export')

  const start = () =>
    create.mutate(examplePipeline(), {
      onSuccess: (pipeline) => navigate(`/pipelines/${encodeURIComponent(pipeline.id)}`),
    })

  return (
    <section className="card example-card" aria-labelledby="example-title">
      <div className="example-copy">
        <p className="eyebrow">New to Sluice?</p>
        <h2 id="example-title">Try the example pipeline</h2>
        <p>
          It imports made-up customers from <strong>Sample data</strong> and writes their profiles to a{' '}
          <strong>CSV file</strong>. No accounts or credentials needed: deploy it and watch it run.
        </p>
        <button type="button" className="button button-primary" onClick={start} disabled={create.isPending}>
          Create example pipeline
        </button>
      </div>
      <div className="example-diagram" aria-hidden="true">
        <div className="mini-node">
          <ProviderIcon svg={sample?.icon} size={28} />
          <span>{sample?.title ?? 'Sample data'}</span>
        </div>
        <div className="mini-edge" />
        <div className="mini-node">
          <ProviderIcon svg={file?.icon} size={28} />
          <span>{file?.title ?? 'File export'}</span>
        </div>
      </div>
    </section>
  )
}
