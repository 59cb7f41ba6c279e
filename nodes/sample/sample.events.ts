import type { SourceRecord } from '../define.ts'
import {
  CAMPAIGNS,
  type City,
  CONTENT_PATHS,
  COUNTRIES,
  type Country,
  EVENT_WEIGHTS,
  type EventName,
  FIRST_NAMES,
  LAST_NAMES,
  PRODUCTS,
  type Product,
  SHOP_URL,
  UK_MOBILE_PREFIXES,
  USER_AGENTS,
} from './sample.data.ts'
import type { SampleEventsConfig } from './sample.node.ts'
import { hashInts, Rng } from './sample.random.ts'

/** Keys that separate the independent random streams drawn from one seed. */
const PURPOSE = { dataset: 1, clock: 2, customer: 3, session: 4, event: 5 } as const

/** Events are laid on a clock that starts on a seed-chosen day of 2024, never the wall clock. */
const EPOCH = Date.UTC(2024, 0, 1)
const DAY_MS = 86_400_000
const SPACING_MS = 4_000

/**
 * Consecutive events form sessions of this length whose first two events always belong to the same
 * identified customer: any run of 40 or more events therefore has at least 10% of its events
 * sharing an email with another, even with a pool of a million customers.
 */
const SESSION_LENGTH = 4

/** Bounds the per-stream customer cache; customers are cheap to rebuild. */
const CACHE_LIMIT = 50_000

export interface Customer {
  userId: string
  anonymousId: string
  firstName: string
  lastName: string
  email: string
  phone: string
  country: Country
  city: City
  userAgent: string
  ip: string
}

/**
 * The endless, deterministic event stream of one seed and customer pool.
 * @example new SampleStream({ seed: 42, customers: 1000 }).records(0, 10)
 */
export class SampleStream {
  readonly #seed: number
  readonly #customers: number
  readonly #tag: string
  readonly #startMs: number
  readonly #cache = new Map<number, Customer>()

  constructor(config: Pick<SampleEventsConfig, 'seed' | 'customers'>) {
    this.#seed = config.seed
    this.#customers = config.customers
    this.#tag = hashInts(config.seed, PURPOSE.dataset).toString(36).padStart(7, '0')
    this.#startMs = EPOCH + (hashInts(config.seed, PURPOSE.clock) % 180) * DAY_MS
  }

  records(start: number, count: number): SourceRecord[] {
    return Array.from({ length: count }, (_, i) => this.record(start + i))
  }

  record(index: number): SourceRecord {
    const rng = new Rng(this.#seed, PURPOSE.event, index)
    const slot = index % SESSION_LENGTH
    const sessionCustomer = new Rng(this.#seed, PURPOSE.session, Math.floor(index / SESSION_LENGTH)).int(
      this.#customers,
    )
    const customer = this.customer(slot < 2 || rng.chance(0.7) ? sessionCustomer : rng.int(this.#customers))
    const event = rng.pick(weightedEvents)
    // Only later session events may be anonymous, so the first two always share an identity.
    const anonymous = slot >= 2 && event === 'page_view' && rng.chance(0.3)
    const timeMs = this.#startMs + index * SPACING_MS + rng.int(SPACING_MS)

    const data: Record<string, unknown> = { event, anonymous_id: customer.anonymousId }
    if (!anonymous) {
      data.user_id = customer.userId
      data.email = customer.email
      data.first_name = customer.firstName
      data.last_name = customer.lastName
      data.phone = customer.phone
    }
    data.ip = rng.chance(0.8) ? customer.ip : publicIPv4(rng)
    data.user_agent = rng.chance(0.85) ? customer.userAgent : rng.pick(USER_AGENTS)
    data.country = customer.country.code
    data.city = customer.city.name

    const currency = customer.country.currency
    switch (event) {
      case 'page_view':
        data.url = rng.chance(0.6) ? productUrl(rng.pick(PRODUCTS)) : `${SHOP_URL}${rng.pick(CONTENT_PATHS)}`
        break
      case 'add_to_cart': {
        const product = rng.pick(PRODUCTS)
        Object.assign(data, productFields(product, currency), {
          quantity: quantity(rng),
          url: productUrl(product),
        })
        break
      }
      case 'purchase': {
        const product = rng.pick(PRODUCTS)
        const count = quantity(rng)
        Object.assign(data, productFields(product, currency), {
          quantity: count,
          order_id: `ORD-${this.#tag.toUpperCase()}-${String(index + 1).padStart(8, '0')}`,
          amount: (priceCents(product, currency) * count) / 100,
        })
        break
      }
      case 'email_open':
      case 'email_click': {
        const campaign = rng.pick(CAMPAIGNS)
        data.campaign_id = campaign.id
        data.campaign_name = campaign.name
        if (event === 'email_click') data.url = productUrl(rng.pick(PRODUCTS))
        break
      }
      case 'signup':
        data.url = `${SHOP_URL}/account/signup`
        break
      case 'login':
        break
    }
    return { key: `evt-${this.#seed}-${index}`, eventTime: new Date(timeMs).toISOString(), data }
  }

  /** Customer `n` of the pool: the same person in every event that draws them. */
  customer(n: number): Customer {
    const cached = this.#cache.get(n)
    if (cached) return cached
    const rng = new Rng(this.#seed, PURPOSE.customer, n)
    const firstName = rng.pick(FIRST_NAMES)
    const lastName = rng.pick(LAST_NAMES)
    const country = rng.pick(weightedCountries)
    const city = rng.pick(country.cities)
    const first = firstName.toLowerCase()
    const last = lastName.toLowerCase()
    const local = rng.pick([`${first}.${last}`, `${first}${last}`, `${first[0]}${last}`, `${first}_${last}`])
    const customer: Customer = {
      userId: `usr_${this.#tag}${n.toString(36).padStart(4, '0')}`,
      anonymousId: uuid(rng),
      firstName,
      lastName,
      // The customer number keeps emails unique per person: namesakes must not merge into one profile.
      email: `${local}${n + 1}@${rng.pick(country.emailDomains)}`,
      phone: phoneNumber(rng, city),
      country,
      city,
      userAgent: rng.pick(USER_AGENTS),
      ip: publicIPv4(rng),
    }
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear()
    this.#cache.set(n, customer)
    return customer
  }
}

/** Repeats each item by its weight, so a uniform pick follows their shares. */
function byWeight<T>(entries: readonly (readonly [T, number])[]): readonly T[] {
  return entries.flatMap(([item, weight]) => Array.from({ length: weight }, () => item))
}

const weightedCountries = byWeight(COUNTRIES.map((country) => [country, country.weight] as const))
const weightedEvents = byWeight(Object.entries(EVENT_WEIGHTS) as [EventName, number][])

const RATES: Record<Country['currency'], number> = { USD: 1, CAD: 1.35, GBP: 0.8 }

/** Shelf price in the customer's currency, rounded to a .99 ending outside the US. */
function priceCents(product: Product, currency: Country['currency']): number {
  if (currency === 'USD') return product.priceCents
  return Math.round((product.priceCents * RATES[currency]) / 100) * 100 - 1
}

function productFields(product: Product, currency: Country['currency']) {
  return {
    sku: product.sku,
    product_name: product.name,
    price: priceCents(product, currency) / 100,
    currency,
  }
}

function productUrl(product: Product): string {
  return `${SHOP_URL}/products/${product.slug}`
}

function quantity(rng: Rng): number {
  return rng.chance(0.8) ? 1 : 2 + rng.int(3)
}

/**
 * North American numbers use the 555-01XX lines reserved for fiction (valid E.164, never anyone's);
 * UK numbers are mobiles (+447...) in ranges libphonenumber accepts.
 */
function phoneNumber(rng: Rng, city: City): string {
  if (city.areaCode !== undefined) return `+1${city.areaCode}55501${String(rng.int(100)).padStart(2, '0')}`
  return `+44${rng.pick(UK_MOBILE_PREFIXES)}${String(rng.int(1_000_000)).padStart(6, '0')}`
}

/** A version 4 UUID from the stream: version nibble 4, variant bits 10. */
function uuid(rng: Rng): string {
  const hex = (value: number) => (value >>> 0).toString(16).padStart(8, '0')
  const a = hex(rng.uint32())
  const b = hex((rng.uint32() & 0xffff0fff) | 0x4000)
  const c = hex((rng.uint32() & 0x3fffffff) | 0x80000000)
  const d = hex(rng.uint32())
  return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`
}

/** A random globally routable IPv4 address: private, shared, loopback, test and multicast ranges are redrawn. */
function publicIPv4(rng: Rng): string {
  for (;;) {
    const value = rng.uint32()
    if (isPublicIPv4(value))
      return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.')
  }
}

function isPublicIPv4(value: number): boolean {
  const a = value >>> 24
  const b = (value >>> 16) & 255
  const c = (value >>> 8) & 255
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false // this network, private, loopback, multicast+reserved
  if (a === 100 && (b & 0xc0) === 64) return false // 100.64/10 carrier-grade NAT
  if (a === 169 && b === 254) return false // link-local
  if (a === 172 && (b & 0xf0) === 16) return false // 172.16/12
  if (a === 192 && b === 168) return false // 192.168/16
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return false // IETF protocol assignments, TEST-NET-1
  if (a === 192 && b === 88 && c === 99) return false // 6to4 relay anycast
  if (a === 198 && (b & 0xfe) === 18) return false // 198.18/15 benchmarking
  if (a === 198 && b === 51 && c === 100) return false // TEST-NET-2
  if (a === 203 && b === 0 && c === 113) return false // TEST-NET-3
  return true
}
