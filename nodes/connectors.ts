import collectConnector from './collect/collect.connector.ts'
import type {
  EnrichmentConnector,
  ExportConnector,
  ImportConnector,
  Provider,
  ProviderConnector,
} from './define.ts'
import deviceConnector from './device/device.connector.ts'
import facebookConnector from './facebook/facebook.connector.ts'
import fileExportConnector from './file-export/file-export.connector.ts'
import geoipConnector from './geoip/geoip.connector.ts'
import googleadsConnector from './google-ads/google-ads.connector.ts'
import googlesheetsConnector from './google-sheets/google-sheets.connector.ts'
import hubspotConnector from './hubspot/hubspot.connector.ts'
import { registerProvider } from './index.ts'
import mailchimpConnector from './mailchimp/mailchimp.connector.ts'
import phoneConnector from './phone/phone.connector.ts'
import postgresConnector from './postgres/postgres.connector.ts'
import restConnector from './rest/rest.connector.ts'
import s3Connector from './s3/s3.connector.ts'
import salesforceConnector from './salesforce/salesforce.connector.ts'
import sampleConnector from './sample/sample.connector.ts'
import sftpConnector from './sftp/sftp.connector.ts'
import webhookConnector from './webhook/webhook.connector.ts'

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

const registered: RegisteredConnector[] = [
  sampleConnector,
  collectConnector,
  restConnector as unknown as RegisteredConnector,
  postgresConnector as unknown as RegisteredConnector,
  s3Connector as unknown as RegisteredConnector,
  sftpConnector as unknown as RegisteredConnector,
  fileExportConnector,
  webhookConnector as unknown as RegisteredConnector,
  mailchimpConnector as unknown as RegisteredConnector,
  hubspotConnector as unknown as RegisteredConnector,
  salesforceConnector as unknown as RegisteredConnector,
  facebookConnector as unknown as RegisteredConnector,
  googleadsConnector as unknown as RegisteredConnector,
  googlesheetsConnector as unknown as RegisteredConnector,
  geoipConnector as unknown as RegisteredConnector,
  phoneConnector as unknown as RegisteredConnector,
  deviceConnector as unknown as RegisteredConnector,
]

const registry = new Map(registered.map((connector) => [connector.provider.id, connector]))
export const connectors: ReadonlyMap<string, RegisteredConnector> = registry

/**
 * Registers a provider with its connector at start-up. Only test harnesses call it: the scripted
 * source of the executor's tests is loaded this way (`node --import` in real-process tests).
 */
export function registerConnector<P extends Provider>(connector: ProviderConnector<P>): void {
  registerProvider(connector.provider)
  registry.set(connector.provider.id, connector as unknown as RegisteredConnector)
}

/** @example await findConnector('file-export')?.check({ config: null, credentials: {}, ... }) */
export function findConnector(providerId: string): RegisteredConnector | undefined {
  return connectors.get(providerId)
}

/** @example jobConnector('sample', 'events')?.direction // 'import' */
export function jobConnector(providerId: string, jobTypeId: string): AnyJobConnector | undefined {
  const jobs = connectors.get(providerId)?.jobs
  return jobs && Object.hasOwn(jobs, jobTypeId) ? jobs[jobTypeId] : undefined
}
