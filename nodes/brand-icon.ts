import type { SimpleIcon } from 'simple-icons'

/**
 * A provider's logo as the catalogue serves it: Simple Icons' (CC0) path in the brand's colour.
 * Import the icon by name (`import { siMailchimp } from 'simple-icons'`) so the client bundle
 * keeps only the icons the catalogue uses.
 * @example icon: brandIcon(siMailchimp)
 */
export function brandIcon(icon: Pick<SimpleIcon, 'path' | 'hex'>, hex = icon.hex): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="#${hex}" aria-hidden="true"><path d="${icon.path}"/></svg>`
}
