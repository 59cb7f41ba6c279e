import { DEFAULT_RULES, type IdentityRules, identityRulesSchema } from '../data/identity.ts'
import type { Executor } from './schema.ts'

const IDENTITY_RULES = 'identity_rules'

export async function getIdentityRules(db: Executor): Promise<IdentityRules> {
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('key', '=', IDENTITY_RULES)
    .executeTakeFirst()
  if (!row) return DEFAULT_RULES
  const parsed = identityRulesSchema.safeParse(JSON.parse(row.value))
  return parsed.success ? parsed.data : DEFAULT_RULES
}

export async function putIdentityRules(db: Executor, rules: IdentityRules, by: string, at: string) {
  const value = JSON.stringify(rules)
  await db
    .insertInto('settings')
    .values({ key: IDENTITY_RULES, value, updated_by: by, updated_at: at })
    .onConflict((conflict) => conflict.column('key').doUpdateSet({ value, updated_by: by, updated_at: at }))
    .execute()
}
