import { lazy, Suspense } from 'react'
import { Navigate, Route, Routes } from 'react-router'
import { AuthGate } from './auth/AuthGate.tsx'
import { AppShell } from './components/AppShell.tsx'
import { Loading } from './components/QueryStates.tsx'
import { DataPage } from './pages/DataPage.tsx'
import { DestinationsPage } from './pages/DestinationsPage.tsx'
import { NotFoundPage } from './pages/NotFoundPage.tsx'
import { PipelinesPage } from './pages/PipelinesPage.tsx'
import { SourcesPage } from './pages/SourcesPage.tsx'
import { VaultPage } from './pages/VaultPage.tsx'

// The canvas (React Flow, the edge rules and their zod schemas) loads only when a pipeline is opened.
const PipelinePage = lazy(() =>
  import('./pages/PipelinePage.tsx').then((module) => ({ default: module.PipelinePage })),
)

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
            <Route path="vault" element={<VaultPage />} />
            <Route path="data" element={<DataPage />} />
            <Route path="*" element={<NotFoundPage />} />
          </Route>
        </Routes>
      )}
    </AuthGate>
  )
}
