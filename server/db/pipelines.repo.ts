import type { PipelineDocument } from '../../nodes/pipeline.ts'
import { newId } from './ids.ts'
import { applyPage, containsText, finishPage, type ListQuery, toPage } from './paging.ts'
import type { Executor, Pipeline } from './schema.ts'

export const PIPELINE_SORTS = { name: 'name', createdAt: 'created_at', updatedAt: 'updated_at' }

export async function listPipelines(db: Executor, query: ListQuery & { q?: string | undefined }) {
  const page = toPage(query, PIPELINE_SORTS, '-updatedAt')
  let select = db.selectFrom('pipelines').selectAll().where('deleted_at', 'is', null)
  const q = query.q
  if (q) select = select.where((eb) => eb.or([containsText('name', q), containsText('description', q)]))
  const rows = await applyPage(select, page, 'pipelines').execute()
  return finishPage(rows, page, (row) => row[page.column as keyof Pipeline] as string)
}

export function findPipeline(db: Executor, id: string): Promise<Pipeline | undefined> {
  return db
    .selectFrom('pipelines')
    .selectAll()
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
}

export async function insertPipeline(
  db: Executor,
  input: { name: string; description: string; document: string; actor: string; at: string },
): Promise<Pipeline> {
  const row: Pipeline = {
    id: newId(),
    name: input.name,
    description: input.description,
    document: input.document,
    version: 1,
    deployed_version: null,
    created_by: input.actor,
    updated_by: input.actor,
    created_at: input.at,
    updated_at: input.at,
    deleted_at: null,
  }
  await db.insertInto('pipelines').values(row).execute()
  return row
}

/**
 * Saves a new draft only if nobody saved since `expectedVersion` was read (optimistic lock).
 * Returns false when the version is stale.
 */
export async function updatePipelineDraft(
  db: Executor,
  id: string,
  expectedVersion: number,
  changes: { name?: string; description?: string; document?: string; actor: string; at: string },
): Promise<boolean> {
  const result = await db
    .updateTable('pipelines')
    .set({
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.description !== undefined ? { description: changes.description } : {}),
      ...(changes.document !== undefined ? { document: changes.document } : {}),
      version: expectedVersion + 1,
      updated_by: changes.actor,
      updated_at: changes.at,
    })
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

export async function softDeletePipeline(db: Executor, id: string, actor: string, at: string): Promise<void> {
  await db
    .updateTable('pipelines')
    .set({ deleted_at: at, updated_by: actor, updated_at: at })
    .where('id', '=', id)
    .execute()
}

export function listVersions(db: Executor, pipelineId: string) {
  return db
    .selectFrom('pipeline_versions')
    .leftJoin('users', 'users.id', 'pipeline_versions.deployed_by')
    .select([
      'version',
      'deployed_by as deployedBy',
      'users.name as deployedByName',
      'deployed_at as deployedAt',
      'document',
    ])
    .where('pipeline_id', '=', pipelineId)
    .orderBy('version', 'desc')
    .execute()
}

export function findVersion(db: Executor, pipelineId: string, version: number) {
  return db
    .selectFrom('pipeline_versions')
    .selectAll()
    .where('pipeline_id', '=', pipelineId)
    .where('version', '=', version)
    .executeTakeFirst()
}

export async function insertVersion(
  db: Executor,
  row: { pipelineId: string; version: number; document: string; actor: string; at: string },
): Promise<void> {
  await db
    .insertInto('pipeline_versions')
    .values({
      pipeline_id: row.pipelineId,
      version: row.version,
      document: row.document,
      deployed_by: row.actor,
      deployed_at: row.at,
    })
    .execute()
  await db
    .updateTable('pipelines')
    .set({ deployed_version: row.version })
    .where('id', '=', row.pipelineId)
    .execute()
}

/**
 * Carries a job's new name or description into its node in the pipeline draft, so the canvas
 * shows it and the next deploy does not rename the job back. A draft without the node is left alone.
 */
export async function renameNode(
  db: Executor,
  pipelineId: string,
  nodeId: string,
  changes: { name?: string | undefined; description?: string | undefined },
  by: { actor: string; at: string },
): Promise<void> {
  const pipeline = await findPipeline(db, pipelineId)
  if (!pipeline) return
  const document = JSON.parse(pipeline.document) as {
    nodes?: { id?: unknown; name?: unknown; description?: unknown }[]
  }
  const node = document.nodes?.find((candidate) => candidate.id === nodeId)
  if (!node) return
  const name = changes.name ?? node.name
  const description = changes.description ?? node.description
  if (name === node.name && description === node.description) return
  Object.assign(node, { name }, description === undefined ? {} : { description })
  await updatePipelineDraft(db, pipelineId, pipeline.version, { document: JSON.stringify(document), ...by })
}

/** The document of the pipeline's deployed version, parsed; undefined before its first deploy. */
export async function deployedDocument(
  db: Executor,
  pipelineId: string,
): Promise<PipelineDocument | undefined> {
  const row = await db
    .selectFrom('pipelines')
    .innerJoin('pipeline_versions', (join) =>
      join
        .onRef('pipeline_versions.pipeline_id', '=', 'pipelines.id')
        .onRef('pipeline_versions.version', '=', 'pipelines.deployed_version'),
    )
    .select('pipeline_versions.document')
    .where('pipelines.id', '=', pipelineId)
    .executeTakeFirst()
  return row ? (JSON.parse(row.document) as PipelineDocument) : undefined
}
