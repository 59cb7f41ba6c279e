/**
 * Word lists behind the sample source's records. Phone numbers are built elsewhere from these:
 * North American ones use the 555-01XX lines reserved for fiction, so a sample record exported to
 * a real SMS tool never reaches a real person.
 */

export const FIRST_NAMES = [
  'Olivia',
  'Liam',
  'Emma',
  'Noah',
  'Amelia',
  'Oliver',
  'Ava',
  'Elijah',
  'Sophia',
  'James',
  'Isabella',
  'William',
  'Mia',
  'Benjamin',
  'Charlotte',
  'Lucas',
  'Harper',
  'Henry',
  'Evelyn',
  'Theodore',
  'Aisha',
  'Mateo',
  'Priya',
  'Santiago',
  'Mei',
  'Hiroshi',
  'Fatima',
  'Omar',
  'Chloe',
  'Daniel',
  'Grace',
  'Samuel',
  'Zoe',
  'David',
  'Nora',
  'Joseph',
  'Lily',
  'Carter',
  'Hannah',
  'Owen',
  'Layla',
  'Wyatt',
  'Ellie',
  'Jack',
  'Aria',
  'Leo',
  'Ruby',
  'Isaac',
  'Freya',
  'Gabriel',
  'Maya',
  'Julian',
  'Sofia',
  'Ethan',
  'Chidi',
  'Ngozi',
  'Lucia',
  'Andre',
  'Ingrid',
  'Kofi',
] as const

export const LAST_NAMES = [
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Jones',
  'Garcia',
  'Miller',
  'Davis',
  'Rodriguez',
  'Martinez',
  'Hernandez',
  'Lopez',
  'Gonzalez',
  'Wilson',
  'Anderson',
  'Thomas',
  'Taylor',
  'Moore',
  'Jackson',
  'Martin',
  'Lee',
  'Perez',
  'Thompson',
  'White',
  'Harris',
  'Sanchez',
  'Clark',
  'Ramirez',
  'Lewis',
  'Robinson',
  'Walker',
  'Young',
  'Allen',
  'King',
  'Wright',
  'Scott',
  'Torres',
  'Nguyen',
  'Hill',
  'Flores',
  'Patel',
  'Khan',
  'Evans',
  'Roberts',
  'Murphy',
  'Kelly',
  'Okafor',
  'Tanaka',
  'Kim',
  'Chen',
  'Singh',
  'Cooper',
  'Ward',
  'Hughes',
  'Price',
  'Bennett',
  'Wood',
  'Barnes',
  'Fischer',
  'Rossi',
] as const

export type CountryCode = 'US' | 'CA' | 'GB'

export interface City {
  name: string
  /** NANP area code of the city; absent for the UK, whose mobile numbers are not geographic. */
  areaCode?: number
}

export interface Country {
  code: CountryCode
  /** Relative share of customers. */
  weight: number
  currency: 'USD' | 'CAD' | 'GBP'
  cities: readonly City[]
  /** Look like real mailbox providers but sit under the reserved `.example` TLD (RFC 2606): sample
   * data exported to a real marketing tool must never reach a real person. */
  emailDomains: readonly string[]
}

export const COUNTRIES: readonly Country[] = [
  {
    code: 'US',
    weight: 65,
    currency: 'USD',
    cities: [
      { name: 'New York', areaCode: 212 },
      { name: 'Los Angeles', areaCode: 213 },
      { name: 'Chicago', areaCode: 312 },
      { name: 'Houston', areaCode: 713 },
      { name: 'Phoenix', areaCode: 602 },
      { name: 'Philadelphia', areaCode: 215 },
      { name: 'San Antonio', areaCode: 210 },
      { name: 'San Diego', areaCode: 619 },
      { name: 'Dallas', areaCode: 214 },
      { name: 'Austin', areaCode: 512 },
      { name: 'Seattle', areaCode: 206 },
      { name: 'Denver', areaCode: 303 },
      { name: 'Boston', areaCode: 617 },
      { name: 'Atlanta', areaCode: 404 },
      { name: 'Miami', areaCode: 305 },
      { name: 'Portland', areaCode: 503 },
      { name: 'San Francisco', areaCode: 415 },
      { name: 'Minneapolis', areaCode: 612 },
      { name: 'Detroit', areaCode: 313 },
      { name: 'Nashville', areaCode: 615 },
    ],
    emailDomains: [
      'gmail.example',
      'yahoo.example',
      'outlook.example',
      'hotmail.example',
      'icloud.example',
      'aol.example',
      'comcast.example',
    ],
  },
  {
    code: 'CA',
    weight: 15,
    currency: 'CAD',
    cities: [
      { name: 'Toronto', areaCode: 416 },
      { name: 'Vancouver', areaCode: 604 },
      { name: 'Montreal', areaCode: 514 },
      { name: 'Calgary', areaCode: 403 },
      { name: 'Ottawa', areaCode: 613 },
    ],
    emailDomains: ['gmail.example', 'outlook.example', 'hotmail.example', 'yahoo.example', 'icloud.example'],
  },
  {
    code: 'GB',
    weight: 20,
    currency: 'GBP',
    cities: [
      { name: 'London' },
      { name: 'Manchester' },
      { name: 'Birmingham' },
      { name: 'Leeds' },
      { name: 'Glasgow' },
      { name: 'Edinburgh' },
      { name: 'Bristol' },
      { name: 'Liverpool' },
    ],
    emailDomains: [
      'gmail.example',
      'outlook.example',
      'hotmail.example',
      'yahoo.example',
      'btinternet.example',
      'icloud.example',
    ],
  },
]

/**
 * UK mobile prefixes (after +44) that libphonenumber's metadata accepts in full: 76xx are pagers,
 * and parts of 770x and 791x are unallocated, so they are left out.
 */
export const UK_MOBILE_PREFIXES = [
  7400, 7411, 7428, 7440, 7455, 7469, 7480, 7502, 7517, 7523, 7535, 7548, 7557, 7564, 7575, 7588, 7712, 7725,
  7734, 7747, 7751, 7766, 7775, 7789, 7801, 7812, 7825, 7834, 7846, 7852, 7867, 7879, 7881, 7894, 7922, 7930,
  7946, 7951, 7958, 7964, 7970, 7985, 7999,
] as const

/** Current browsers on the common platforms, as their user-agent strings read. */
export const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0',
  'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
  'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36',
] as const

export interface Product {
  sku: string
  name: string
  slug: string
  /** Price in US cents; other currencies are derived from it. */
  priceCents: number
}

export const PRODUCTS: readonly Product[] = [
  { sku: 'TEE-ORG-BLK', name: 'Organic Cotton Tee', slug: 'organic-cotton-tee', priceCents: 2800 },
  { sku: 'HOOD-MRN-GRY', name: 'Merino Hoodie', slug: 'merino-hoodie', priceCents: 11900 },
  { sku: 'JEAN-SLM-IND', name: 'Slim Jeans, Indigo', slug: 'slim-jeans-indigo', priceCents: 8900 },
  { sku: 'SNK-RUN-WHT', name: 'Everyday Runner', slug: 'everyday-runner', priceCents: 13500 },
  { sku: 'BAG-CNV-TOT', name: 'Canvas Tote', slug: 'canvas-tote', priceCents: 3400 },
  { sku: 'CAP-WOL-NVY', name: 'Wool Cap', slug: 'wool-cap', priceCents: 3200 },
  { sku: 'SCK-3PK-MIX', name: 'Socks (3 pack)', slug: 'socks-3-pack', priceCents: 1800 },
  { sku: 'JKT-RAIN-OLV', name: 'Packable Rain Jacket', slug: 'packable-rain-jacket', priceCents: 16500 },
  { sku: 'BTL-STL-750', name: 'Steel Bottle 750 ml', slug: 'steel-bottle', priceCents: 2900 },
  { sku: 'WLT-LTH-BRN', name: 'Leather Wallet', slug: 'leather-wallet', priceCents: 5900 },
  { sku: 'SWT-CRW-OAT', name: 'Crew Sweatshirt', slug: 'crew-sweatshirt', priceCents: 6400 },
  { sku: 'GFT-CRD-050', name: 'Gift Card', slug: 'gift-card', priceCents: 5000 },
]

/** The sample shop lives on a reserved domain (RFC 2606). */
export const SHOP_URL = 'https://shop.example.com'

export const CONTENT_PATHS = [
  '/',
  '/new-arrivals',
  '/sale',
  '/about',
  '/journal/how-we-source-cotton',
  '/help/returns',
]

export const CAMPAIGNS = [
  { id: 'cmp-welcome', name: 'Welcome series' },
  { id: 'cmp-spring-sale', name: 'Spring sale' },
  { id: 'cmp-new-arrivals', name: 'New arrivals' },
  { id: 'cmp-cart-reminder', name: 'Cart reminder' },
  { id: 'cmp-loyalty', name: 'Loyalty rewards' },
] as const

/** What a shop's customers do, with relative frequencies. */
export const EVENT_WEIGHTS = {
  page_view: 40,
  add_to_cart: 14,
  purchase: 8,
  email_open: 16,
  email_click: 8,
  login: 8,
  signup: 6,
} as const

export type EventName = keyof typeof EVENT_WEIGHTS
