import { DestinationsIcon } from '../components/icons.tsx'
import { JobsPage } from './JobsPage.tsx'

export function DestinationsPage() {
  return (
    <JobsPage
      type="export"
      title="Destinations"
      subtitle="Export jobs that deliver profiles and audiences to your tools, from every pipeline."
      noun="destination"
      icon={<DestinationsIcon size={28} />}
    />
  )
}
