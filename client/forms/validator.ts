import { type OutputUnit, type Schema, Validator } from '@cfworker/json-schema'
import {
  type CustomValidator,
  createErrorHandler,
  type ErrorTransformer,
  getDefaultFormState,
  type RJSFSchema,
  type RJSFValidationError,
  toErrorSchema,
  type UiSchema,
  unwrapErrorHandler,
  type ValidationData,
  type ValidatorType,
  validationDataMerge,
} from '@rjsf/utils'

/**
 * The forms' JSON Schema validator. The UI's Content-Security-Policy forbids `eval`, which rules
 * out Ajv (it compiles every schema to a function); @cfworker/json-schema interprets schemas
 * instead, draft 2020-12 included (the catalogue's schemas come from zod's `toJSONSchema`).
 */

/** Keywords that only say "something inside failed": the inner error says what. */
const WRAPPERS = new Set([
  'properties',
  'items',
  'prefixItems',
  'allOf',
  '$ref',
  'additionalProperties',
  'contains',
])

const cache = new WeakMap<object, Validator>()
function validatorFor(schema: RJSFSchema, root?: RJSFSchema): Validator {
  const key = root && root !== schema ? { schema, root } : schema
  const known = root && root !== schema ? undefined : cache.get(schema)
  if (known) return known
  // A sub-schema's $refs point into the root's $defs.
  const whole = root && root !== schema ? { ...schema, $defs: root.$defs ?? schema.$defs } : schema
  const validator = new Validator(whole as Schema, '2020-12', false)
  if (key === schema) cache.set(schema, validator)
  return validator
}

/** The schema a keyword location points into, for the limits a message quotes. */
function schemaAt(root: RJSFSchema, keywordLocation: string): Record<string, unknown> {
  let node: unknown = root
  const parts = keywordLocation.replace(/^#\/?/, '').split('/').slice(0, -1)
  for (const part of parts) {
    if (node === null || typeof node !== 'object') return {}
    node = (node as Record<string, unknown>)[decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~')]
  }
  return node && typeof node === 'object' ? (node as Record<string, unknown>) : {}
}

/** What a failed keyword means, in the words a form shows under the field. */
function messageOf(unit: OutputUnit, at: Record<string, unknown>): string {
  const limit = at[unit.keyword]
  switch (unit.keyword) {
    case 'minimum':
      return `must be at least ${limit}`
    case 'maximum':
      return `must be at most ${limit}`
    case 'exclusiveMinimum':
      return `must be more than ${limit}`
    case 'exclusiveMaximum':
      return `must be less than ${limit}`
    case 'minLength':
      return limit === 1 ? 'must not be empty' : `must be at least ${limit} characters`
    case 'maxLength':
      return `must be at most ${limit} characters`
    case 'minItems':
      return `must have at least ${limit} item${limit === 1 ? '' : 's'}`
    case 'maxItems':
      return `must have at most ${limit} items`
    case 'pattern':
      return typeof at.description === 'string'
        ? `does not have the expected form: ${at.description}`
        : 'does not have the expected form'
    case 'enum':
      return `must be one of ${(limit as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`
    case 'const':
      return `must be ${JSON.stringify(limit)}`
    case 'type':
      return `must be ${Array.isArray(limit) ? limit.join(' or ') : `a${/^[aeiou]/.test(String(limit)) ? 'n' : ''} ${limit}`}`
    case 'format':
      return `must be a valid ${limit}`
    case 'anyOf':
    case 'oneOf':
      return 'must match one of the allowed forms'
    case 'false':
      return 'is not a known setting'
    default:
      return unit.error
  }
}

/** `#/a/0/b` → `.a.0.b`, the property path rjsf files errors under. */
const propertyOf = (instanceLocation: string) =>
  instanceLocation
    .replace(/^#/, '')
    .split('/')
    .filter(Boolean)
    .map((part) => `.${decodeURIComponent(part)}`)
    .join('')

function toRjsfErrors(units: readonly OutputUnit[], schema: RJSFSchema): RJSFValidationError[] {
  const errors: RJSFValidationError[] = []
  for (const unit of units) {
    if (WRAPPERS.has(unit.keyword)) continue
    const at = schemaAt(schema, unit.keywordLocation)
    let property = propertyOf(unit.instanceLocation)
    let message = messageOf(unit, at)
    if (unit.keyword === 'required') {
      // cfworker reports each missing property as its own error on the object.
      const missing = /"([^"]+)"/.exec(unit.error)?.[1] ?? ''
      property = `${property}.${missing}`
      message = 'is required'
    }
    errors.push({
      name: unit.keyword,
      property,
      message,
      params: {},
      stack: `${property} ${message}`.trim(),
      schemaPath: unit.keywordLocation,
    })
  }
  return errors
}

export class FormValidator implements ValidatorType {
  validateFormData(
    formData: unknown,
    schema: RJSFSchema,
    customValidate?: CustomValidator,
    transformErrors?: ErrorTransformer,
    uiSchema?: UiSchema,
  ): ValidationData<unknown> {
    let errors = toRjsfErrors(validatorFor(schema).validate(formData ?? {}).errors, schema)
    if (transformErrors) errors = transformErrors(errors, uiSchema)
    const errorSchema = toErrorSchema(errors)
    if (!customValidate) return { errors, errorSchema }
    const filled = getDefaultFormState(this, schema, formData, schema, true)
    const userErrors = unwrapErrorHandler(customValidate(filled, createErrorHandler(filled), uiSchema))
    return validationDataMerge({ errors, errorSchema }, userErrors)
  }

  isValid(schema: RJSFSchema, formData: unknown, rootSchema: RJSFSchema): boolean {
    return validatorFor(schema, rootSchema).validate(formData).valid
  }

  rawValidation<Result = unknown>(schema: RJSFSchema, formData?: unknown): { errors?: Result[] } {
    const result = validatorFor(schema).validate(formData)
    return result.valid ? {} : { errors: result.errors as Result[] }
  }
}

export const formValidator = new FormValidator()
