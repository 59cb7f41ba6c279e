import { type ComponentType, lazy, Suspense } from 'react'
import { Navigate, Route, Routes } from 'react-router'
import { AuthGate } from './auth/AuthGate.tsx'
import { AppShell } from './components/AppShell.tsx'
import { Loading } from './components/QueryStates.tsx'
import { NotFoundPage } from './pages/NotFoundPage.tsx'
import { PipelinesPage } from './pages/PipelinesPage.tsx'
import { setupQuery } from './queries/auth.ts'
import { pipelineQuery } from './queries/pipelines.ts'
import { providersQuery } from './queries/providers.ts'
import { queryClient } from './queryClient.ts'

// The canvas (React Flow, the edge rules and their zod schemas) loads only when a pipeline is opened.
const loadPipelinePage = () => import('./pages/PipelinePage.tsx')
const PipelinePage = lazy(() => loadPipelinePage().then((module) => ({ default: module.PipelinePage })))
/** A page whose code loads when it is first visited; the nearest `<Suspense>` shows its loading. */
const lazyPage = <K extends string>(load: () => Promise<Record<K, ComponentType>>, name: K) =>
  lazy(() => load().then((module) => ({ default: module[name] })))

// Every page but the list loads on first visit, so opening a pipeline's canvas (or any page by
// its URL) does not wait for every other page's code, forms and charts.
const AdminPage = lazyPage(() => import('./pages/AdminPage.tsx'), 'AdminPage')
const AlertsPage = lazyPage(() => import('./pages/AlertsPage.tsx'), 'AlertsPage')
const AudiencePage = lazyPage(() => import('./pages/AudiencePage.tsx'), 'AudiencePage')
const AudiencesPage = lazyPage(() => import('./pages/AudiencesPage.tsx'), 'AudiencesPage')
const DataKeysPage = lazyPage(() => import('./pages/DataKeysPage.tsx'), 'DataKeysPage')
const DataPage = lazyPage(() => import('./pages/DataPage.tsx'), 'DataPage')
const DestinationsPage = lazyPage(() => import('./pages/DestinationsPage.tsx'), 'DestinationsPage')
const EnrichmentPage = lazyPage(() => import('./pages/EnrichmentPage.tsx'), 'EnrichmentPage')
const IdentityRulesPage = lazyPage(() => import('./pages/IdentityRulesPage.tsx'), 'IdentityRulesPage')
const NewUploadPage = lazyPage(() => import('./pages/NewUploadPage.tsx'), 'NewUploadPage')
const ProfilePage = lazyPage(() => import('./pages/ProfilePage.tsx'), 'ProfilePage')
const ProfilesPage = lazyPage(() => import('./pages/ProfilesPage.tsx'), 'ProfilesPage')
const SourcesPage = lazyPage(() => import('./pages/SourcesPage.tsx'), 'SourcesPage')
const StreamPage = lazyPage(() => import('./pages/StreamPage.tsx'), 'StreamPage')
const StreamsPage = lazyPage(() => import('./pages/StreamsPage.tsx'), 'StreamsPage')
const UploadsPage = lazyPage(() => import('./pages/UploadsPage.tsx'), 'UploadsPage')
const VaultPage = lazyPage(() => import('./pages/VaultPage.tsx'), 'VaultPage')
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
