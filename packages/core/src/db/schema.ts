import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

// Millisecond precision: what a JS Date holds, so a value read back compares equal to what was written.
const timestamptz = () => timestamp({ withTimezone: true, precision: 3, mode: "date" });

export const users = pgTable(
  "users",
  {
    /** UUIDv7, generated in the app: time-ordered, so inserts append to the primary-key index. */
    id: uuid().primaryKey(),
    /** Stored trimmed and lower-cased (see `normalizeEmail`); uniqueness is enforced on lower(email) regardless. */
    email: text().notNull(),
    hashedPassword: text().notNull(),
    fullName: text(),
    isActive: boolean().notNull().default(true),
    isSuperuser: boolean().notNull().default(false),
    /** When the current email was proven to reach its owner; null until then, and again after a change. */
    emailVerifiedAt: timestamptz(),
    /**
     * Whether login asks for a second factor: a confirmed TOTP factor or a passkey exists. Kept by the
     * MFA service under the user's row lock, in the transaction that adds or removes the factor, so a
     * login never reads it out of step with the factor tables.
     */
    mfaEnabled: boolean().notNull().default(false),
    /** Access tokens issued before this instant are refused. */
    passwordChangedAt: timestamptz().notNull().defaultNow(),
    createdAt: timestamptz().notNull().defaultNow(),
    updatedAt: timestamptz().notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("users_email_lower_key").on(sql`lower(${table.email})`),
    index("users_created_at_idx").on(table.createdAt, table.id),
    // The admin search is a case-insensitive email prefix (`lower(email) LIKE 'abc%'`): text_pattern_ops
    // lets that be an index range scan whatever the database's collation.
    index("users_email_lower_pattern_idx").on(sql`lower(${table.email}) text_pattern_ops`),
  ],
);

export type UserRow = typeof users.$inferSelect;

/**
 * Fixed-window attempt counters shared by every process and replica (see `createRateLimiter`). One row
 * per key (`login:address:…`, `login:account:…`, `register:address:…`); a row whose window has ended
 * is restarted by the next hit and deleted by the periodic clean-up.
 */
export const rateLimits = pgTable(
  "rate_limits",
  {
    key: text().primaryKey(),
    hits: integer().notNull(),
    windowEndsAt: timestamptz().notNull(),
  },
  (table) => [index("rate_limits_window_ends_at_idx").on(table.windowEndsAt)],
);

/**
 * Refresh tokens (see `createSessionService`). Only a SHA-256 hash of each token is stored. A login
 * starts a family; each refresh spends its token (`usedAt`) and inserts a successor in the same family,
 * so presenting a spent token again can revoke everything descended from the same login. For a short
 * grace window a spent row keeps the pair it was exchanged for, encrypted (`successorCiphertext`), so a
 * concurrent duplicate refresh gets the same answer; it is cleared once the window has passed.
 */
export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    id: uuid().primaryKey(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    familyId: uuid().notNull(),
    tokenHash: text().notNull(),
    /** Compared with the user's `tokensValidFrom` (like an access token's `iat`). */
    issuedAt: timestamptz().notNull(),
    expiresAt: timestamptz().notNull(),
    createdAt: timestamptz().notNull().defaultNow(),
    usedAt: timestamptz(),
    replacedById: uuid(),
    successorCiphertext: text(),
    revokedAt: timestamptz(),
  },
  (table) => [
    uniqueIndex("refresh_tokens_token_hash_key").on(table.tokenHash),
    index("refresh_tokens_user_id_idx").on(table.userId),
    index("refresh_tokens_family_id_idx").on(table.familyId),
  ],
);

export type RefreshTokenRow = typeof refreshTokens.$inferSelect;

/**
 * Single-use secrets sent by email (password reset, email verification). Only the SHA-256 of the token
 * is stored, so a copy of the table lets nobody reset a password. A token is spent by one conditional
 * UPDATE (`used_at is null and expires_at > now`), which two concurrent redemptions cannot both pass.
 * `email` is the address the token was sent to: a verification token proves only that address.
 */
export const oneTimeTokens = pgTable(
  "one_time_tokens",
  {
    tokenHash: text().primaryKey(),
    purpose: text({ enum: ["password_reset", "verify_email"] }).notNull(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    email: text().notNull(),
    createdAt: timestamptz().notNull().defaultNow(),
    expiresAt: timestamptz().notNull(),
    usedAt: timestamptz(),
  },
  (table) => [
    index("one_time_tokens_user_id_idx").on(table.userId, table.purpose),
    index("one_time_tokens_expires_at_idx").on(table.expiresAt),
  ],
);

/** The public half of an Ed25519 key as a JWK (RFC 8037): what verifiers need, never `d`. */
export interface Ed25519PublicJwk {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
}

/**
 * Keys that sign access tokens (see `createSigningKeyStore`). A key is published (in the JWKS) from
 * the moment its row exists until `deleteAfter`, and signs from `activatesAt` until `retiresAt`: the
 * active key at an instant is the newest one whose signing window contains it, a pure function of
 * these rows and the clock, so every replica that has read them picks the same key. The private key
 * is stored only encrypted (AES-256-GCM, authenticated data bound to `kid`).
 */
export const signingKeys = pgTable(
  "signing_keys",
  {
    /** RFC 7638 JWK thumbprint of the public key. */
    kid: text().primaryKey(),
    algorithm: text({ enum: ["EdDSA"] }).notNull(),
    publicJwk: jsonb().$type<Ed25519PublicJwk>().notNull(),
    /** `v1.` + base64url(iv ‖ ciphertext ‖ tag) of the private JWK. */
    privateKeyCiphertext: text().notNull(),
    createdAt: timestamptz().notNull().defaultNow(),
    /** When it starts signing; a successor is created at least `publishAheadSeconds` before this. */
    activatesAt: timestamptz().notNull(),
    /** When it stops signing; null while no successor is scheduled. */
    retiresAt: timestamptz(),
    /** When it leaves the JWKS and may be deleted: after the last token it signed has expired. */
    deleteAfter: timestamptz(),
  },
  (table) => [index("signing_keys_activates_at_idx").on(table.activatesAt)],
);

export type SigningKeyRow = typeof signingKeys.$inferSelect;

/**
 * Sessions as a user sees them: one row per refresh-token family (`id` = `refreshTokens.familyId`),
 * written in the transaction of the login that starts it. An access token carries the id as `sid`, and
 * every authenticated request reads `revokedAt` in the query that loads its user, so ending a session
 * refuses its access tokens at once. Ended rows are kept for a while (see `sweepStaleRows`): their
 * `device` labels are how a sign-in from a new browser is recognised.
 */
export const sessions = pgTable(
  "sessions",
  {
    id: uuid().primaryKey(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: timestamptz().notNull().defaultNow(),
    /** Moved by each refresh. */
    lastUsedAt: timestamptz().notNull().defaultNow(),
    /** When the newest refresh token of the family expires. */
    expiresAt: timestamptz().notNull(),
    /** The login's client address; null when addresses are not stored (`AUDIT_STORE_IP=false`). */
    ip: text(),
    userAgent: text(),
    /** Browser and operating system read from the user agent, e.g. "Firefox on Linux". */
    device: text(),
    /**
     * RFC 8176 methods the login proved (`pwd`, ...): stamped into every access token of the session,
     * refreshed ones included, since a refresh proves no method of its own. Null when none were named.
     */
    amr: text().array(),
    revokedAt: timestamptz(),
  },
  (table) => [
    index("sessions_user_id_created_at_idx").on(table.userId, table.createdAt),
    index("sessions_expires_at_idx").on(table.expiresAt),
  ],
);

export type SessionRow = typeof sessions.$inferSelect;

/**
 * The security log (see `recordAuditEvent`): one row per security-relevant change, inserted in the
 * transaction of that change. `userId` is the subject and has no foreign key, so the record of a deleted
 * account outlives it until retention removes it. `details` never holds a password, token, code or hash.
 */
export const auditEvents = pgTable(
  "audit_events",
  {
    /** UUIDv7: with `createdAt`, the stable order of the log. */
    id: uuid().primaryKey(),
    type: text().notNull(),
    createdAt: timestamptz().notNull().defaultNow(),
    /** Who did it: the user themself, a superuser, or the system (null id). */
    actorType: text({ enum: ["user", "superuser", "system"] }).notNull(),
    actorId: uuid(),
    /** Whom it is about; null for a failed login with an unknown email. */
    userId: uuid(),
    ip: text(),
    userAgent: text(),
    requestId: text(),
    details: jsonb().$type<Record<string, unknown>>().notNull().default({}),
  },
  (table) => [
    index("audit_events_user_id_created_at_idx").on(table.userId, table.createdAt, table.id),
    index("audit_events_created_at_idx").on(table.createdAt, table.id),
    index("audit_events_type_created_at_idx").on(table.type, table.createdAt),
  ],
);

export type AuditEventRow = typeof auditEvents.$inferSelect;

/**
 * Mail to send, written in the transaction of the change it is about, so a crash between the commit and
 * the SMTP conversation loses nothing. A sender claims due rows `FOR UPDATE SKIP LOCKED` and leases them
 * (`lockedUntil`), so replicas never send the same row at once; `sentAt` marks it done. `data` holds the
 * template's values, never a secret.
 */
export const outbox = pgTable(
  "outbox",
  {
    id: uuid().primaryKey(),
    kind: text().notNull(),
    recipient: text().notNull(),
    data: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamptz().notNull().defaultNow(),
    /** Not tried again before this instant (backoff after a failure). */
    availableAt: timestamptz().notNull().defaultNow(),
    /** Claimed by a sender until this instant; a sender that died lets it lapse. */
    lockedUntil: timestamptz(),
    attempts: integer().notNull().default(0),
    sentAt: timestamptz(),
    /** Set when the last attempt failed and no further one will be made. */
    failedAt: timestamptz(),
  },
  (table) => [
    index("outbox_pending_idx").on(table.availableAt).where(sql`sent_at is null and failed_at is null`),
  ],
);

export type OutboxRow = typeof outbox.$inferSelect;

/**
 * One TOTP factor per user (RFC 6238). A row with `confirmedAt` null is a setup in progress; it becomes
 * a factor once a code from it is confirmed. The secret is stored only encrypted (AES-256-GCM, the user
 * id as authenticated data). `lastUsedStep` is the 30-second step of the last accepted code: a code is
 * accepted only for a later step, set by one conditional UPDATE, so the same code never works twice.
 */
export const totpFactors = pgTable("totp_factors", {
  userId: uuid()
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  secretCiphertext: text().notNull(),
  confirmedAt: timestamptz(),
  lastUsedStep: bigint({ mode: "number" }),
  createdAt: timestamptz().notNull().defaultNow(),
});

/**
 * Single-use recovery codes (10 per set). Only a SHA-256 of each is stored: the codes carry 80 random
 * bits, so a fast hash is enough (nobody can enumerate 2^80 inputs) and it allows the lookup by hash
 * that a salted, slow hash would not. Spent by one conditional UPDATE (`used_at is null`).
 */
export const recoveryCodes = pgTable(
  "recovery_codes",
  {
    id: uuid().primaryKey(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    codeHash: text().notNull(),
    createdAt: timestamptz().notNull().defaultNow(),
    usedAt: timestamptz(),
  },
  (table) => [uniqueIndex("recovery_codes_user_code_key").on(table.userId, table.codeHash)],
);

/**
 * Passkeys (WebAuthn credentials). `credentialId` and `publicKey` (COSE) are base64url. `signCount` is
 * the authenticator's counter: an assertion whose counter does not move past it is refused as coming
 * from a cloned authenticator (unless both are 0, which authenticators without a counter send).
 */
export const webauthnCredentials = pgTable(
  "webauthn_credentials",
  {
    id: uuid().primaryKey(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    credentialId: text().notNull(),
    publicKey: text().notNull(),
    signCount: bigint({ mode: "number" }).notNull(),
    transports: jsonb().$type<string[]>().notNull(),
    deviceType: text({ enum: ["singleDevice", "multiDevice"] }).notNull(),
    backedUp: boolean().notNull(),
    name: text().notNull(),
    createdAt: timestamptz().notNull().defaultNow(),
    lastUsedAt: timestamptz(),
  },
  (table) => [
    uniqueIndex("webauthn_credentials_credential_id_key").on(table.credentialId),
    index("webauthn_credentials_user_id_idx").on(table.userId),
  ],
);

export type WebauthnCredentialRow = typeof webauthnCredentials.$inferSelect;

/**
 * Outstanding WebAuthn challenges, in the database so any replica can finish a ceremony another one
 * began. Each is single-use: consumed by one `DELETE … RETURNING` that also checks purpose, owner and
 * expiry, so a replayed response finds nothing.
 */
export const webauthnChallenges = pgTable(
  "webauthn_challenges",
  {
    challenge: text().primaryKey(),
    purpose: text({ enum: ["registration", "second_factor", "passwordless"] }).notNull(),
    /** The user the ceremony is for; null for a passwordless sign-in, where nobody is known yet. */
    userId: uuid().references(() => users.id, { onDelete: "cascade" }),
    expiresAt: timestamptz().notNull(),
    createdAt: timestamptz().notNull().defaultNow(),
  },
  (table) => [index("webauthn_challenges_expires_at_idx").on(table.expiresAt)],
);

/**
 * The half-finished login of an account with a second factor: issued after the right password, it lets
 * its holder present the second factor. Only its SHA-256 is stored. `attempts` is counted by a
 * conditional UPDATE before each check, so at most `MAX_MFA_ATTEMPTS` checks ever run, however many
 * arrive at once; a success spends it (`consumedAt`). `passwordChangedAt` is the user's boundary when
 * the password was checked: a password change in between voids the token.
 */
export const mfaLoginTokens = pgTable(
  "mfa_login_tokens",
  {
    tokenHash: text().primaryKey(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    passwordChangedAt: timestamptz().notNull(),
    attempts: integer().notNull().default(0),
    expiresAt: timestamptz().notNull(),
    createdAt: timestamptz().notNull().defaultNow(),
    consumedAt: timestamptz(),
  },
  (table) => [
    index("mfa_login_tokens_user_id_idx").on(table.userId),
    index("mfa_login_tokens_expires_at_idx").on(table.expiresAt),
  ],
);

/**
 * Accounts at other identity providers (OpenID Connect, GitHub) that sign in as a user. `(provider,
 * subject)` is unique: two callbacks racing to link the same account are settled by this index, and
 * the loser reads the winner's row. `email` is what the provider last said, for display only: matching
 * is by subject, never by this column.
 */
export const userIdentities = pgTable(
  "user_identities",
  {
    id: uuid().primaryKey(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The provider id from `OIDC_PROVIDERS` (e.g. `corp`, `github`). */
    provider: text().notNull(),
    /** The provider's stable id of the account (`sub`, or GitHub's numeric user id). */
    subject: text().notNull(),
    email: text(),
    createdAt: timestamptz().notNull().defaultNow(),
    lastUsedAt: timestamptz(),
  },
  (table) => [
    uniqueIndex("user_identities_provider_subject_key").on(table.provider, table.subject),
    index("user_identities_user_id_idx").on(table.userId),
  ],
);

export type UserIdentityRow = typeof userIdentities.$inferSelect;

/**
 * Short-lived, single-use codes that carry a finished provider callback to the web app (`login`), and a
 * signed-in user's intent to link an identity across the provider's redirect (`link`). Only the SHA-256
 * of a code is stored; it is redeemed by one `DELETE … RETURNING` that also checks purpose and expiry,
 * so of two concurrent redemptions exactly one gets the row. `passwordChangedAt` is the user's token
 * boundary when the code was issued: a password change or sign-out everywhere in between voids it.
 */
export const loginCodes = pgTable(
  "login_codes",
  {
    codeHash: text().primaryKey(),
    purpose: text({ enum: ["login", "link"] }).notNull(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    provider: text().notNull(),
    /** RFC 8176 methods the sign-in proved, for the session it starts. */
    amr: text().array().notNull(),
    /** Whether the provider's own MFA assertion, trusted by the operator, stands for the second factor. */
    secondFactorDone: boolean().notNull().default(false),
    passwordChangedAt: timestamptz().notNull(),
    expiresAt: timestamptz().notNull(),
    createdAt: timestamptz().notNull().defaultNow(),
  },
  (table) => [index("login_codes_expires_at_idx").on(table.expiresAt)],
);
