import { z } from 'zod'

/**
 * The config fields of destinations that match people by hashed email and phone (Facebook Custom
 * Audiences, Google Ads Customer Match): where the identifiers are, and the country of phone
 * numbers written without one. Isomorphic: the forms and the connectors share them.
 */

const attribute = (title: string, fallback: string, description: string) =>
  z.string().trim().min(1).max(200).default(fallback).meta({ title, description })

export const hashedIdentifierFields = {
  emailField: attribute('Email attribute', 'email', "The profile attribute holding the person's email"),
  phoneField: attribute(
    'Phone attribute',
    'phone',
    "The profile attribute holding the person's phone number, with or without its country code",
  ),
  defaultCountry: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{2}$/, 'a two-letter country code such as US or GB')
    .default('US')
    .meta({
      title: 'Country of local phone numbers',
      description:
        'Phone numbers written without a country code (e.g. (415) 555-2671) are read as numbers of this country: a two-letter code such as US, GB or FR',
    }),
}
