import { type FormEvent, useState } from 'react'
import { Field } from '../components/Field.tsx'
import { errorMessage } from '../lib/api.ts'
import { useLogin } from '../queries/auth.ts'
import { AuthCard } from './AuthCard.tsx'

export function LoginPage() {
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [missing, setMissing] = useState<string | null>(null)
  const login = useLogin()

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (!email.trim() || !password) {
      setMissing('Enter your email and password.')
      return
    }
    setMissing(null)
    login.mutate({ email: email.trim(), password })
  }

  // The server's own message, e.g. wrong credentials or "too many attempts" (429).
  const problem = missing ?? (login.error ? errorMessage(login.error) : null)
  return (
    <AuthCard title="Sign in" subtitle="Welcome back. Sign in to manage your pipelines.">
      <title>Sign in · Sluice</title>
      <form className="form" onSubmit={submit} noValidate>
        <Field
          label="Email"
          type="email"
          autoComplete="username"
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          required
        />
        <Field
          label="Password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          required
        />
        {problem && (
          <p className="form-error" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" className="button button-primary button-block" disabled={login.isPending}>
          Sign in
        </button>
      </form>
    </AuthCard>
  )
}
