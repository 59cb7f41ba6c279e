import { useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { Field } from '../components/Field.tsx'
import { errorMessage, isApiError } from '../lib/api.ts'
import { useSetup } from '../queries/auth.ts'
import { AuthCard } from './AuthCard.tsx'

const MIN_PASSWORD = 8
const EMAIL = /^[^\s@]+@[^\s@]+$/

type Problems = Partial<Record<'name' | 'email' | 'password', string>>

function check(name: string, email: string, password: string): Problems {
  const problems: Problems = {}
  if (!name.trim()) problems.name = 'Enter your name.'
  if (!EMAIL.test(email.trim())) problems.email = 'Enter a valid email address.'
  if (password.length < MIN_PASSWORD) problems.password = `Use at least ${MIN_PASSWORD} characters.`
  return problems
}

/** First run: the person installing Sluice creates the admin account. */
export function SetupPage() {
  const [name, setName] = useState('')
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [problems, setProblems] = useState<Problems>({})
  const setup = useSetup()
  const client = useQueryClient()

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const found = check(name, email, password)
    setProblems(found)
    if (Object.keys(found).length) return
    setup.mutate(
      { name: name.trim(), email: email.trim(), password },
      {
        // Someone finished setup first: the login screen is the right one now.
        onError: (error) => {
          if (isApiError(error, 409)) void client.invalidateQueries({ queryKey: ['auth', 'setup'] })
        },
      },
    )
  }

  return (
    <AuthCard
      title="Set up Sluice"
      subtitle="Create the first administrator account. You can invite your team once you are in."
    >
      <title>Set up · Sluice</title>
      <form className="form" onSubmit={submit} noValidate>
        <Field
          label="Name"
          autoComplete="name"
          value={name}
          onChange={(event) => setName(event.target.value)}
          error={problems.name}
          required
        />
        <Field
          label="Email"
          type="email"
          autoComplete="email"
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          error={problems.email}
          required
        />
        <Field
          label="Password"
          type="password"
          autoComplete="new-password"
          minLength={MIN_PASSWORD}
          hint={`At least ${MIN_PASSWORD} characters.`}
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          error={problems.password}
          required
        />
        {setup.error && (
          <p className="form-error" role="alert">
            {errorMessage(setup.error)}
          </p>
        )}
        <button type="submit" className="button button-primary button-block" disabled={setup.isPending}>
          Create admin account
        </button>
      </form>
    </AuthCard>
  )
}
