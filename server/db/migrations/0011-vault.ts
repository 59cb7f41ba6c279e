import { type Kysely, PostgresAdapter } from 'kysely'

/**
 * The Vault and the audit trail (DESIGN.md §6). Secret values are stored sealed
 * (`server/vault/cipher.ts`), each naming the key it was sealed with; `key_id` repeats it per row
 * so start-up can tell a wrong master key from a right one with one indexed read. Frozen once landed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter

  await db.schema
    .createTable('authorizations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    // JSON: the method's non-secret fields.
    .addColumn('fields', 'text', (c) => c.notNull())
    // JSON: field name → sealed value.
    .addColumn('secrets', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text')
    // OAuth2: when the access token expires (refresh runs before it).
    .addColumn('expires_at', 'text')
    // Set when the credentials stopped working (a refused refresh): reconnect to clear it.
    .addColumn('error', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('authorizations_provider').on('authorizations').column('provider').execute()
  await db.schema.createIndex('authorizations_key').on('authorizations').column('key_id').execute()

  // An admin's OAuth2 app per provider: its client id, its sealed secret and endpoint overrides.
  await db.schema
    .createTable('oauth_clients')
    .addColumn('provider', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('client_secret', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    // JSON: { authorizeUrl?, tokenUrl?, scopes? } over the provider's defaults.
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()

  // Authorization-code flows in progress; `id` is sha256 of the state parameter, used once.
  await db.schema
    .createTable('oauth_states')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('verifier', 'text', (c) => c.notNull())
    // JSON: name, description, the authorization to reconnect, where to return.
    .addColumn('request', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('audit_log')
    .addColumn('id', postgres ? 'bigserial' : 'integer', (c) =>
      postgres ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('at', 'text', (c) => c.notNull())
    // A user id, or null for Sluice itself (start-up, key rotation).
    .addColumn('actor_id', 'text')
    .addColumn('actor_name', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('entity_type', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('entity_name', 'text', (c) => c.notNull())
    // JSON: what changed (names of fields, never values of secrets).
    .addColumn('details', 'text')
    .execute()
  await db.schema
    .createIndex('audit_log_entity')
    .on('audit_log')
    .columns(['entity_type', 'entity_id', 'id'])
    .execute()
  await db.schema.createIndex('audit_log_actor').on('audit_log').columns(['actor_id', 'id']).execute()
}
