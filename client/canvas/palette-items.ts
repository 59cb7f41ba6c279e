import type { PipelineDocument, PipelineNode } from '../../nodes/pipeline.ts'
import { schemaDefaults } from '../forms/schema-defaults.ts'
import type { JobTypeInfo, ProviderInfo } from '../types.ts'
import { uniqueId } from './document-ops.ts'

export const PALETTE_GROUPS = [
  'Sources',
  'Destinations',
  'Enrichment',
  'Authorizations',
  'Audience',
  'Note',
] as const
export type PaletteGroup = (typeof PALETTE_GROUPS)[number]

/** One thing the palette offers: a job type of a provider, a provider's authorization, an audience, a note. */
export interface PaletteItem {
  key: string
  group: PaletteGroup
  title: string
  description: string
  icon?: string | undefined
  /** Words the palette search matches besides the title. */
  keywords: string
  /** The node this item adds to `doc` at `position`. */
  make: (doc: PipelineDocument, position: { x: number; y: number }) => PipelineNode
}

const GROUP_OF: Record<JobTypeInfo['direction'], PaletteGroup> = {
  import: 'Sources',
  export: 'Destinations',
  enrichment: 'Enrichment',
}
export const KIND_OF = { import: 'source', export: 'destination', enrichment: 'enrichment' } as const

/** The config a new node starts with: every default of the job type's schema, filled in. */
export function defaultConfig(schema: Record<string, unknown>): Record<string, unknown> {
  return schemaDefaults(schema)
}

const round = (position: { x: number; y: number }) => ({
  x: Math.round(position.x),
  y: Math.round(position.y),
})

/** Whether a provider's nodes sign in with Vault credentials (`none` is no sign-in at all). */
export const needsCredentials = (provider: Pick<ProviderInfo, 'authMethods'>) =>
  provider.authMethods.some((method) => method.id !== 'none')

/** A job type's name on the canvas: the provider, and the job type when it has several. */
export const jobTitle = (provider: ProviderInfo, jobType: JobTypeInfo) =>
  provider.jobTypes.length > 1 ? `${provider.title} · ${jobType.title}` : provider.title

/** A new job node of `jobType` at `position`, with the job type's defaults unless `data` says otherwise. */
export function jobNode(
  doc: PipelineDocument,
  provider: ProviderInfo,
  jobType: JobTypeInfo,
  position: { x: number; y: number },
  overrides: { name?: string; config?: Record<string, unknown>; cadence?: unknown } = {},
): PipelineNode {
  const cadence = 'cadence' in overrides ? overrides.cadence : jobType.defaultCadence
  return {
    id: uniqueId(doc, provider.id),
    kind: KIND_OF[jobType.direction],
    provider: provider.id,
    jobType: jobType.id,
    name: overrides.name?.trim() || jobTitle(provider, jobType),
    position: round(position),
    data: {
      config: overrides.config ?? defaultConfig(jobType.configSchema),
      ...(cadence ? { cadence: cadence as never } : {}),
    },
  } as PipelineNode
}

/** The palette's items from the catalogue, in group order. */
export function paletteItems(providers: readonly ProviderInfo[]): PaletteItem[] {
  const items: PaletteItem[] = []
  for (const provider of providers) {
    for (const jobType of provider.jobTypes) {
      const title = jobTitle(provider, jobType)
      items.push({
        key: `job:${provider.id}:${jobType.id}`,
        group: GROUP_OF[jobType.direction],
        title,
        description: jobType.description,
        icon: provider.icon,
        keywords: `${provider.id} ${provider.title} ${jobType.id} ${jobType.title} ${provider.description}`,
        make: (doc, position) => jobNode(doc, provider, jobType, position),
      })
    }
    if (needsCredentials(provider))
      items.push({
        key: `auth:${provider.id}`,
        group: 'Authorizations',
        title: `${provider.title} authorization`,
        description: `Credentials from the Vault for ${provider.title} nodes`,
        icon: provider.icon,
        keywords: `${provider.id} ${provider.title} vault credentials login`,
        make: (doc, position) => ({
          id: uniqueId(doc, `${provider.id}-auth`),
          kind: 'authorization',
          provider: provider.id,
          name: `${provider.title} authorization`,
          position: round(position),
          data: { authorizationId: null },
        }),
      })
  }
  items.push(
    {
      key: 'audience',
      group: 'Audience',
      title: 'Audience',
      description: 'A saved audience: only its members flow on to the destinations',
      keywords: 'segment filter people',
      make: (doc, position) => ({
        id: uniqueId(doc, 'audience'),
        kind: 'audience',
        name: 'Audience',
        position: round(position),
        data: { audienceId: '' },
      }),
    },
    {
      key: 'note',
      group: 'Note',
      title: 'Sticky note',
      description: 'A note on the canvas for whoever reads the pipeline next',
      keywords: 'comment text sticky',
      make: (doc, position) => ({
        id: uniqueId(doc, 'note'),
        kind: 'note',
        name: 'Note',
        position: round(position),
        data: { text: '' },
      }),
    },
  )
  return PALETTE_GROUPS.flatMap((group) => items.filter((item) => item.group === group))
}

/** Items whose title or keywords hold every word of `query` (case-insensitive). */
export function searchPalette(items: readonly PaletteItem[], query: string): PaletteItem[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean)
  if (words.length === 0) return [...items]
  return items.filter((item) => {
    const text = `${item.title} ${item.group} ${item.keywords}`.toLowerCase()
    return words.every((word) => text.includes(word))
  })
}
