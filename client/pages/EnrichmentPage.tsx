import { EnrichmentIcon } from '../components/icons.tsx'
import { JobsPage } from './JobsPage.tsx'

export function EnrichmentPage() {
  return (
    <JobsPage
      type="enrichment"
      title="Enrichment"
      subtitle="Jobs that add attributes to profiles — location, phone details, device — from every pipeline."
      noun="enrichment job"
      icon={<EnrichmentIcon size={28} />}
    />
  )
}
