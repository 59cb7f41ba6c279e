import { useQueryClient } from '@tanstack/react-query'
import { lazy, Suspense, useEffect } from 'react'
import { Navigate, Route, Routes } from 'react-router'
import { AuthGate } from './auth/AuthGate.tsx'
import { AppShell } from './components/AppShell.tsx'
import { Loading } from './components/QueryStates.tsx'
import { DataKeysPage } from './pages/DataKeysPage.tsx'
import { DataPage } from './pages/DataPage.tsx'
import { DestinationsPage } from './pages/DestinationsPage.tsx'
import { IdentityRulesPage } from './pages/IdentityRulesPage.tsx'
import { NotFoundPage } from './pages/NotFoundPage.tsx'
import { PipelinesPage } from './pages/PipelinesPage.tsx'
import { ProfilePage } from './pages/ProfilePage.tsx'
import { ProfilesPage } from './pages/ProfilesPage.tsx'
import { SourcesPage } from './pages/SourcesPage.tsx'
import { StreamPage } from './pages/StreamPage.tsx'
import { StreamsPage } from './pages/StreamsPage.tsx'
import { UploadsPage } from './pages/UploadsPage.tsx'
import { VaultPage } from './pages/VaultPage.tsx'
import { pipelineQuery } from './queries/pipelines.ts'
import { providersQuery } from './queries/providers.ts'

// The canvas (React Flow, the edge rules and their zod schemas) loads only when a pipeline is opened.
const loadPipelinePage = () => import('./pages/PipelinePage.tsx')
const PipelinePage = lazy(() => loadPipelinePage().then((module) => ({ default: module.PipelinePage })))
// Opening a pipeline by its URL: its code loads while the session is checked, not after.
if (window.location.pathname.startsWith('/pipelines/')) void loadPipelinePage()

/** Opening a pipeline by its URL: its data is asked for as soon as the session is known. */
function PrefetchOpenPipeline() {
  const client = useQueryClient()
  useEffect(() => {
    const id = /^\/pipelines\/([^/]+)$/.exec(window.location.pathname)?.[1]
    if (!id) return
    void client.prefetchQuery(pipelineQuery(decodeURIComponent(id)))
    void client.prefetchQuery(providersQuery)
  }, [client])
  return null
}

export function App() {
  return (
    <AuthGate>
      {(user) => (
        <>
          <PrefetchOpenPipeline />
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
              <Route path="vault" element={<VaultPage />} />
              <Route path="data" element={<DataPage />}>
                <Route index element={<Navigate to="streams" replace />} />
                <Route path="streams" element={<StreamsPage />} />
                <Route path="streams/:name" element={<StreamPage />} />
                <Route path="profiles" element={<ProfilesPage />} />
                <Route path="profiles/:id" element={<ProfilePage />} />
                <Route path="uploads" element={<UploadsPage />} />
                <Route path="keys" element={<DataKeysPage />} />
                <Route path="identity-rules" element={<IdentityRulesPage />} />
              </Route>
              <Route path="*" element={<NotFoundPage />} />
            </Route>
          </Routes>
        </>
      )}
    </AuthGate>
  )
}
