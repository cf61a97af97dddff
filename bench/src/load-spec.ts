/** What the orchestrator and its load, bcrypt and database workers say to each other over IPC. */

export type PhaseKind = "health" | "me" | "refresh" | "mfa" | "login" | "register" | "login-wrong";

/** A user with TOTP for the second-factor phase: its key, the last step it used, and live mfa_tokens. */
export interface MfaUser {
  /** The TOTP key as the server stores it (base32, as `totp/setup` hands it out). */
  secret: string;
  /** The step of the last code accepted (confirming the setup used one): codes must be for later steps. */
  lastStep: number;
  mfaTokens: string[];
}

export interface LoadSpec {
  kind: PhaseKind;
  url: string;
  connections: number;
  durationSeconds: number;
  /** Seeded users are `user1` … `user<users>`. */
  users: number;
  password: string;
  /** For /me: valid access tokens of seeded users, used round-robin. */
  tokens?: string[];
  /** For refresh: one live refresh token per connection, the start of that connection's chain. */
  refreshTokens?: string[];
  /** For the second-factor phase. */
  mfaUsers?: MfaUser[];
  expectStatus: number;
  /** A response slower than this counts as a timeout (an error). */
  timeoutSeconds: number;
}

export interface LoadSummary {
  durationSeconds: number;
  completed: number;
  latencyMs: { p50: number; p99: number; mean: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  status5xx: number;
  unexpectedStatus: number;
  statusCounts: Record<string, number>;
  /** Responses in each second of the phase, in order. */
  perSecond: number[];
}

/** The seeded user number `n`'s email. */
export function emailOf(n: number): string {
  return `user${n}@bench.test`;
}

/**
 * The seeded user number `n`'s id: a UUID with version 7 and variant bits whose leading bits grow with
 * `n`, so, as with the app's uuidv7 ids, seeding appends to the primary-key index. The SQL seed builds
 * the same string (see `seedUsersSql`).
 */
export function idOf(n: number): string {
  return `00000000-0000-7000-8000-${n.toString(16).padStart(12, "0")}`;
}

/**
 * The id of second-factor user `n` (email `mfa<n>@bench.test`): a range of its own, so the password
 * phases never pick a user whose login stops at "second factor required".
 */
export function mfaUserIdOf(n: number): string {
  return `00000000-0000-7000-a000-${n.toString(16).padStart(12, "0")}`;
}

/** Second-factor users `from` … `to` (see `mfaUserIdOf`); their TOTP is set up through the service. */
export function seedMfaUsersSql(): string {
  return `insert into users (id, email, hashed_password, full_name, is_active, is_superuser,
      password_changed_at, created_at, updated_at)
    select ('00000000-0000-7000-a000-' || lpad(to_hex(n), 12, '0'))::uuid,
      'mfa' || n || '@bench.test', $1, null, true, false,
      now() - interval '1 day', now() - interval '1 day', now() - interval '1 day'
    from generate_series($2::int, $3::int) as n`;
}

/** The id of the live session seeded for user `n` (see `seedSessionsSql`). */
export function sessionIdOf(n: number): string {
  return `00000000-0000-7000-9000-${n.toString(16).padStart(12, "0")}`;
}

/**
 * One live session (a login's row in `sessions`) for each of users `from` … `to`, so tokens minted with
 * `sid` = `sessionIdOf(n)` take the path every real access token takes: the user and its session read
 * in one query.
 */
export function seedSessionsSql(): string {
  return `insert into sessions (id, user_id, created_at, last_used_at, expires_at, amr)
    select ('00000000-0000-7000-9000-' || lpad(to_hex(n), 12, '0'))::uuid,
      ('00000000-0000-7000-8000-' || lpad(to_hex(n), 12, '0'))::uuid,
      now(), now(), now() + interval '30 days', array['pwd']
    from generate_series($1::int, $2::int) as n`;
}

/** One INSERT … SELECT over generate_series: users `from` … `to`, all sharing one precomputed hash. */
export function seedUsersSql(): string {
  return `insert into users (id, email, hashed_password, full_name, is_active, is_superuser,
      password_changed_at, created_at, updated_at)
    select ('00000000-0000-7000-8000-' || lpad(to_hex(n), 12, '0'))::uuid,
      'user' || n || '@bench.test', $1, null, true, false,
      now() - interval '1 day', now() - interval '1 day', now() - interval '1 day'
    from generate_series($2::int, $3::int) as n`;
}

/** Messages a ceiling worker sends: `ready` once warmed up, then its result after `go`. */
export type CeilingMessage = { ready: true } | { rate: number; operations: number } | { error: string };

export type PasswordHashAlgorithm = "bcrypt" | "argon2id";

export interface HashCeilingSpec {
  algorithm: PasswordHashAlgorithm;
  hash: string;
  password: string;
  inFlight: number;
  durationSeconds: number;
}

export interface DatabaseCeilingSpec {
  url: string;
  poolSize: number;
  inFlight: number;
  durationSeconds: number;
  users: number;
}

export interface RefreshCeilingSpec {
  url: string;
  /** The server's JWT_SECRET: the grace-window cache key and the signing key store derive from it. */
  secret: string;
  poolSize: number;
  inFlight: number;
  durationSeconds: number;
  /** Loop `i` rotates a chain of seeded user `firstUser + i`. */
  firstUser: number;
}
