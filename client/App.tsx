import { lazy, Suspense } from 'react'
import { Navigate, Route, Routes } from 'react-router'
import { AuthGate } from './auth/AuthGate.tsx'
import { AppShell } from './components/AppShell.tsx'
import { Loading } from './components/QueryStates.tsx'
import { AdminPage } from './pages/AdminPage.tsx'
import { AlertsPage } from './pages/AlertsPage.tsx'
import { AudiencePage } from './pages/AudiencePage.tsx'
import { AudiencesPage } from './pages/AudiencesPage.tsx'
import { DataKeysPage } from './pages/DataKeysPage.tsx'
import { DataPage } from './pages/DataPage.tsx'
import { DestinationsPage } from './pages/DestinationsPage.tsx'
import { EnrichmentPage } from './pages/EnrichmentPage.tsx'
import { IdentityRulesPage } from './pages/IdentityRulesPage.tsx'
import { NewUploadPage } from './pages/NewUploadPage.tsx'
import { NotFoundPage } from './pages/NotFoundPage.tsx'
import { PipelinesPage } from './pages/PipelinesPage.tsx'
import { ProfilePage } from './pages/ProfilePage.tsx'
import { ProfilesPage } from './pages/ProfilesPage.tsx'
import { SourcesPage } from './pages/SourcesPage.tsx'
import { StreamPage } from './pages/StreamPage.tsx'
import { StreamsPage } from './pages/StreamsPage.tsx'
import { UploadsPage } from './pages/UploadsPage.tsx'
import { VaultPage } from './pages/VaultPage.tsx'
import { setupQuery } from './queries/auth.ts'
import { pipelineQuery } from './queries/pipelines.ts'
import { providersQuery } from './queries/providers.ts'
import { queryClient } from './queryClient.ts'

// The canvas (React Flow, the edge rules and their zod schemas) loads only when a pipeline is opened.
const loadPipelinePage = () => import('./pages/PipelinePage.tsx')
const PipelinePage = lazy(() => loadPipelinePage().then((module) => ({ default: module.PipelinePage })))
// Charts and highlighting stay out of the first bundle.
const JobPage = lazy(() => import('./pages/JobPage.tsx').then((module) => ({ default: module.JobPage })))

/**
 * Opening a pipeline by its URL: its code, its document and the catalogue are asked for while the
 * app's own code still evaluates, as soon as the (preloaded) session answer says who is signed in.
 */
const openPipelineId = /^\/pipelines\/([^/]+)$/.exec(window.location.pathname)?.[1]
if (openPipelineId) {
  void loadPipelinePage()
  queryClient
    .fetchQuery(setupQuery(queryClient))
    .then((setup) => {
      if (!setup.user) return
      void queryClient.prefetchQuery(pipelineQuery(decodeURIComponent(openPipelineId)))
      void queryClient.prefetchQuery(providersQuery)
    })
    // AuthGate asks again and shows the failure; nothing to do here.
    .catch(() => undefined)
}

export function App() {
  return (
    <AuthGate>
      {(user) => (
        <Routes>
          <Route element={<AppShell user={user} />}>
            <Route index element={<Navigate to="/pipelines" replace />} />
            {/* Signed-out visitors see login or setup at any URL; once signed in these lead home. */}
            <Route path="login" element={<Navigate to="/pipelines" replace />} />
            <Route path="setup" element={<Navigate to="/pipelines" replace />} />
            <Route path="pipelines" element={<PipelinesPage />} />
            <Route
              path="pipelines/:id"
              element={
                <Suspense fallback={<Loading label="Loading pipeline…" />}>
                  <PipelinePage />
                </Suspense>
              }
            />
            <Route path="sources" element={<SourcesPage />} />
            <Route path="destinations" element={<DestinationsPage />} />
            <Route path="enrichment" element={<EnrichmentPage />} />
            <Route path="alerts" element={<AlertsPage />} />
            <Route path="admin" element={<AdminPage />} />
            <Route
              path="jobs/:id"
              element={
                <Suspense fallback={<Loading label="Loading job…" />}>
                  <JobPage />
                </Suspense>
              }
            />
            <Route path="vault" element={<VaultPage />} />
            <Route path="data" element={<DataPage />}>
              <Route index element={<Navigate to="streams" replace />} />
              <Route path="streams" element={<StreamsPage />} />
              <Route path="streams/:name" element={<StreamPage />} />
              <Route path="profiles" element={<ProfilesPage />} />
              <Route path="profiles/:id" element={<ProfilePage />} />
              <Route path="audiences" element={<AudiencesPage />} />
              <Route path="audiences/new" element={<AudiencePage />} />
              <Route path="audiences/:id" element={<AudiencePage />} />
              <Route path="uploads" element={<UploadsPage />} />
              <Route path="uploads/new" element={<NewUploadPage />} />
              <Route path="keys" element={<DataKeysPage />} />
              <Route path="identity-rules" element={<IdentityRulesPage />} />
            </Route>
            <Route path="*" element={<NotFoundPage />} />
          </Route>
        </Routes>
      )}
    </AuthGate>
  )
}
