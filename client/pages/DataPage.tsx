import { Link } from 'react-router'
import { DataIcon, PipelinesIcon, SourcesIcon } from '../components/icons.tsx'
import { PageHeader } from '../components/PageHeader.tsx'

const SECTIONS = [
  {
    title: 'Streams',
    icon: <SourcesIcon size={22} />,
    text: 'Raw records exactly as each source sent them, kept unmapped so profiles can be rebuilt when rules change.',
  },
  {
    title: 'Profiles',
    icon: <DataIcon size={22} />,
    text: 'One profile per customer, unified across sources by identities such as user id and email.',
  },
  {
    title: 'Audiences',
    icon: <PipelinesIcon size={22} />,
    text: 'Saved groups of profiles, defined by filters on their attributes, that destinations deliver to your tools.',
  },
]

/** The data plane's overview (DESIGN.md §5). It fills once a deployed source has imported records. */
export function DataPage() {
  return (
    <div className="page">
      <PageHeader
        title="Data"
        subtitle="What your sources have collected, and the customers Sluice built from it."
      />
      <div className="card-grid">
        {SECTIONS.map((section) => (
          <section key={section.title} className="card info-card" aria-labelledby={`data-${section.title}`}>
            <div className="info-card-icon">{section.icon}</div>
            <h2 id={`data-${section.title}`}>{section.title}</h2>
            <p>{section.text}</p>
          </section>
        ))}
      </div>
      <div className="callout">
        <p>
          Data arrives when a deployed pipeline's source runs. The quickest start is the example pipeline: its{' '}
          <strong>Sample data</strong> source needs no authorization and produces customers within minutes.
        </p>
        <Link className="button button-primary" to="/pipelines">
          Go to Pipelines
        </Link>
      </div>
    </div>
  )
}
