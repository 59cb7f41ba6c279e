import collectConnector from './collect/collect.connector.ts'
import type {
  EnrichmentConnector,
  ExportConnector,
  ImportConnector,
  Provider,
  ProviderConnector,
} from './define.ts'
import fileExportConnector from './file-export/file-export.connector.ts'
import sampleConnector from './sample/sample.connector.ts'

/**
 * Server-only registry of connector implementations, keyed by provider id. Importing it pulls in
 * node:* modules, so the client must import only ./index.ts.
 */

/** A job's connector as the executor drives it: config already parsed by the job type's schema. */
export type AnyJobConnector = ImportConnector | ExportConnector | EnrichmentConnector

/** A provider's connector with its job connectors widened for lookup by id. */
export interface RegisteredConnector {
  provider: Provider
  check: ProviderConnector['check']
  jobs: Readonly<Record<string, AnyJobConnector>>
}

const registered: RegisteredConnector[] = [sampleConnector, collectConnector, fileExportConnector]

export const connectors: ReadonlyMap<string, RegisteredConnector> = new Map(
  registered.map((connector) => [connector.provider.id, connector]),
)

/** @example await findConnector('file-export')?.check({ config: null, credentials: {}, ... }) */
export function findConnector(providerId: string): RegisteredConnector | undefined {
  return connectors.get(providerId)
}

/** @example jobConnector('sample', 'events')?.direction // 'import' */
export function jobConnector(providerId: string, jobTypeId: string): AnyJobConnector | undefined {
  const jobs = connectors.get(providerId)?.jobs
  return jobs && Object.hasOwn(jobs, jobTypeId) ? jobs[jobTypeId] : undefined
}
