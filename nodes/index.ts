import { collect } from './collect/collect.node.ts'
import { type Category, type Direction, type JobType, type Provider, toJsonSchema } from './define.ts'
import { device } from './device/device.node.ts'
import { facebookAudiences } from './facebook/facebook.node.ts'
import { fileExport } from './file-export/file-export.node.ts'
import { geoip } from './geoip/geoip.node.ts'
import { googleAds } from './google-ads/google-ads.node.ts'
import { googleSheets } from './google-sheets/google-sheets.node.ts'
import { hubspot } from './hubspot/hubspot.node.ts'
import { mailchimp } from './mailchimp/mailchimp.node.ts'
import { phone } from './phone/phone.node.ts'
import { postgres } from './postgres/postgres.node.ts'
import { rest } from './rest/rest.node.ts'
import { s3 } from './s3/s3.node.ts'
import { salesforce } from './salesforce/salesforce.node.ts'
import { sample } from './sample/sample.node.ts'
import { sftp } from './sftp/sftp.node.ts'
import { webhook } from './webhook/webhook.node.ts'

/**
 * The node catalogue: every provider Sluice knows. Isomorphic — the canvas and the server both
 * import it — so it never imports node:* or a connector (those live in connectors.ts).
 */
export const providers = [
  sample,
  collect,
  rest,
  postgres,
  s3,
  sftp,
  googleSheets,
  mailchimp,
  hubspot,
  salesforce,
  fileExport,
  webhook,
  facebookAudiences,
  googleAds,
  geoip,
  phone,
  device,
] as const

export type ProviderId = (typeof providers)[number]['id']

/** The shipped providers plus any a test harness registered (see `registerProvider`). */
const catalogue: Provider[] = [...providers]

/** Every provider this process knows. */
export function listProviders(): readonly Provider[] {
  return catalogue
}

/**
 * Adds a provider at start-up. Only test harnesses call it (a scripted source the executor's
 * tests drive); shipped providers are listed above.
 */
export function registerProvider(provider: Provider): void {
  if (findProvider(provider.id)) throw new Error(`provider ${provider.id} is already registered`)
  catalogue.push(provider)
}

/** @example findProvider('sample')?.title // 'Sample data' */
export function findProvider(id: string): Provider | undefined {
  return catalogue.find((provider) => provider.id === id)
}

/** @example findJobType('file-export', 'file')?.direction // 'export' */
export function findJobType(providerId: string, jobTypeId: string): JobType | undefined {
  return findProvider(providerId)?.jobTypes.find((jobType) => jobType.id === jobTypeId)
}

/** One provider as `GET /api/providers` serves it (API.md), schemas as JSON Schema. */
export interface CatalogueProvider {
  id: string
  title: string
  category: Category
  icon: string
  description: string
  authMethods: {
    id: string
    title: string
    schema: Record<string, unknown>
    /** OAuth2: fields of Sluice's app an admin enters with its client id (a developer token). */
    appSchema?: Record<string, unknown>
  }[]
  jobTypes: {
    id: string
    title: string
    direction: Direction
    description: string
    requiresAuthorization: boolean
    configSchema: Record<string, unknown>
    defaultCadence: JobType['defaultCadence']
    resetsCheckpoint: string[]
  }[]
}

/** The body of `GET /api/providers`: plain JSON, built fresh so callers may change it. */
export function catalogueJson(): CatalogueProvider[] {
  return catalogue.map((provider: Provider) => ({
    id: provider.id,
    title: provider.title,
    category: provider.category,
    icon: provider.icon,
    description: provider.description,
    authMethods: provider.auth.map((method) => ({
      id: method.id,
      title: method.title,
      schema: toJsonSchema(method.schema),
      ...(method.appFields ? { appSchema: toJsonSchema(method.appFields) } : {}),
    })),
    jobTypes: provider.jobTypes.map((jobType) => ({
      id: jobType.id,
      title: jobType.title,
      direction: jobType.direction,
      description: jobType.description,
      requiresAuthorization: jobType.requiresAuthorization,
      configSchema: toJsonSchema(jobType.config),
      defaultCadence: structuredClone(jobType.defaultCadence),
      resetsCheckpoint: [...jobType.resetsCheckpoint],
    })),
  }))
}
