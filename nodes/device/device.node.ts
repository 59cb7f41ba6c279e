import { z } from 'zod'
import { defineProvider } from '../define.ts'

export const deviceConfig = z.strictObject({
  userAgentAttribute: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9_.-]+$/, 'an attribute name: letters, digits, "_", "." or "-"')
    .default('user_agent')
    .meta({
      title: 'User agent attribute',
      description:
        "The profile attribute holding the browser's User-Agent string, as a website or app sends it, e.g. user_agent.",
    }),
  prefix: z
    .string()
    .max(40)
    .regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'letters, digits and "_", starting with a letter')
    .default('device_')
    .meta({
      title: 'Attribute prefix',
      description:
        'Starts the names of the attributes added: with device_, profiles gain device_type (desktop, mobile, tablet...), device_browser and device_browser_version (Chrome, 126), device_os and device_os_version (iOS, 17.5).',
    }),
})
export type DeviceConfig = z.infer<typeof deviceConfig>

// A monitor on its stand with a phone in front of it.
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M18 8V6a2 2 0 0 0-2-2H4a2 2 0 0 0-2 2v7a2 2 0 0 0 2 2h8"/><path d="M10 15v4"/><path d="M7 19h5"/><rect x="16" y="11" width="6" height="10" rx="1"/></svg>`

/** Browser, operating system and kind of device from a user-agent string, parsed offline. */
export const device = defineProvider({
  id: 'device',
  title: 'Device',
  category: 'enrichment',
  icon: ICON,
  description:
    "Reads the browser, operating system and kind of device (desktop, mobile, tablet...) from people's user-agent strings, with ua-parser-js: nothing leaves your server.",
  auth: [{ id: 'none', title: 'No authorization', schema: z.strictObject({}) }],
  jobTypes: [
    {
      id: 'user-agent',
      title: 'Device from user agent',
      direction: 'enrichment',
      description:
        'Parses each new or changed profile\'s user agent. One that names no known browser or system (a script, a bot) adds nothing and is counted as "omitted".',
      config: deviceConfig,
      requiresAuthorization: false,
      defaultCadence: { after: 'upstream' },
      resetsCheckpoint: ['userAgentAttribute', 'prefix'],
    },
  ],
})
