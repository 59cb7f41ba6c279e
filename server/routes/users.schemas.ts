import { z } from 'zod'
import type { User } from '../db/schema.ts'

export const roleSchema = z.enum(['admin', 'editor', 'viewer'])
export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(320)
  .pipe(z.email({ error: 'must be an email address' }))
export const passwordSchema = z.string().min(8, 'must be at least 8 characters').max(1024)

export const userJson = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: roleSchema,
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastLoginAt: z.string().nullable(),
  disabled: z.boolean().meta({ description: 'Cannot sign in; sessions and API tokens refused' }),
})

export function toUserJson(user: User): z.infer<typeof userJson> {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    createdBy: user.created_by,
    createdAt: user.created_at,
    updatedAt: user.updated_at,
    lastLoginAt: user.last_login_at,
    disabled: user.disabled_at !== null,
  }
}
