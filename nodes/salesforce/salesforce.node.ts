import { z } from 'zod'
import { defineProvider } from '../define.ts'

// PLACEHOLDER: replaced by the provider's real declaration.
export const salesforce = defineProvider({
  id: 'salesforce',
  title: 'Salesforce',
  category: 'source',
  icon: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="4"/></svg>',
  description: 'Salesforce',
  auth: [{ id: 'none', title: 'No authorization', schema: z.strictObject({}) }],
  jobTypes: [],
})
