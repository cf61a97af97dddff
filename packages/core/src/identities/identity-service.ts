import { and, asc, count, eq } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import { type AuditContext, recordAuditEvent } from "../audit/audit-log.js";
import type { Db } from "../db/client.js";
import { translateDatabaseError } from "../db/database-errors.js";
import { type UserIdentityRow, userIdentities, webauthnCredentials } from "../db/schema.js";
import {
  DomainError,
  EmailTakenError,
  IdentityAccountExistsError,
  IdentityEmailUnverifiedError,
  IdentityNotFoundError,
  IdentityTakenError,
  InactiveUserError,
  InvalidLoginCodeError,
  LastSignInMethodError,
} from "../errors.js";
import { queueMail } from "../outbox/outbox.js";
import { hasPassword, NO_PASSWORD_HASH, type User } from "../users/user.js";
import { createUser, getUserByEmail, getUserById, lockUserRecord, toUser } from "../users/user-repository.js";
import { issueLoginCode, type LoginCodeTicket, redeemLoginCode } from "./login-codes.js";

/** Who the identity provider says signed in, after the api has checked its answer. */
export interface ExternalProfile {
  /** The provider id from the settings (`corp`, `github`). */
  provider: string;
  /** The provider's stable id of the account. */
  subject: string;
  email: string | null;
  /** Whether the provider vouches for `email`; an unverified email never matches or creates an account. */
  emailVerified: boolean;
  name: string | null;
}

/** A linked identity as the user sees it. */
export interface Identity {
  id: string;
  provider: string;
  subject: string;
  email: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface IdentitySignIn {
  user: User;
  /** The account was created by this sign-in. */
  created: boolean;
  /** The identity was attached to an existing account by its verified email (`trustEmail`). */
  linked: boolean;
}

export interface IdentityService {
  /**
   * The account this provider identity signs in as: the linked one; else, with `trustEmail`, the
   * existing account with the same verified email (both sides verified), linked on the way; else a new
   * account without a password. A verified email of an existing, unlinked account is refused, never
   * attached silently.
   * @throws IdentityAccountExistsError, IdentityEmailUnverifiedError, InactiveUserError
   */
  signIn(
    profile: ExternalProfile,
    options: { trustEmail: boolean },
    context?: AuditContext,
  ): Promise<IdentitySignIn>;
  /**
   * Links an identity to a signed-in user. `tokensBoundary` is the user's `passwordChangedAt` when the
   * link was asked for: a password change or sign-out everywhere in between voids it. Linking the same
   * identity again is a no-op.
   * @throws IdentityTakenError when another user has it; InvalidLoginCodeError when the user changed
   */
  link(
    userId: string,
    profile: ExternalProfile,
    tokensBoundary: Date,
    context?: AuditContext,
  ): Promise<Identity>;
  list(userId: string): Promise<Identity[]>;
  /**
   * Removes an identity unless it is the account's last way to sign in (no password, no passkey, no
   * other identity). Serialised on the user row with every other link and unlink.
   * @throws IdentityNotFoundError, LastSignInMethodError
   */
  unlink(userId: string, identityId: string, context?: AuditContext): Promise<Identity>;
  /** A single-use code (60 s) for the web app to exchange for a session. */
  issueLoginCode(
    user: User,
    grant: { provider: string; amr: string[]; secondFactorDone: boolean },
  ): Promise<{ code: string; expiresInSeconds: number }>;
  /**
   * Spends a login code; the user must still be active with the token boundary it was issued under.
   * @throws InvalidLoginCodeError
   */
  redeemLoginCode(code: string): Promise<{ user: User; ticket: LoginCodeTicket }>;
  /** A single-use ticket (60 s) that carries a signed-in user's intent to link across the provider's redirect. */
  issueLinkTicket(user: User, provider: string): Promise<{ code: string; expiresInSeconds: number }>;
  /**
   * Spends a link ticket for this provider.
   * @throws InvalidLoginCodeError
   */
  redeemLinkTicket(ticket: string, provider: string): Promise<{ user: User; tokensBoundary: Date }>;
}

export interface IdentityServiceDeps {
  db: Db;
  /** Injected clock for tests; epoch milliseconds. */
  now?: () => number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Sign-in through other identity providers, over any `Db`. Every rule that must hold under concurrency
 * is the database's: `(provider, subject)` is a unique index (a racing link reads the winner's row), the
 * unique email index settles two first sign-ins creating the same account (the loser retries and finds
 * the winner's identity), links and unlinks lock the user row `FOR UPDATE`, and a login code is spent by
 * one `DELETE … RETURNING`.
 * @example
 * const identities = createIdentityService({ db });
 * const { user } = await identities.signIn(profile, { trustEmail: false });
 * const { code } = await identities.issueLoginCode(user, { provider: "corp", amr: [], secondFactorDone: false });
 */
export function createIdentityService(deps: IdentityServiceDeps): IdentityService {
  const { db } = deps;
  const now = deps.now ?? Date.now;

  async function attach(tx: Db, userId: string, profile: ExternalProfile, at: Date) {
    const [inserted] = await tx
      .insert(userIdentities)
      .values({
        id: uuidv7(),
        userId,
        provider: profile.provider,
        subject: profile.subject,
        email: profile.email,
        createdAt: at,
        lastUsedAt: at,
      })
      .onConflictDoNothing({ target: [userIdentities.provider, userIdentities.subject] })
      .returning();
    return inserted ?? null;
  }

  async function findIdentity(tx: Db, provider: string, subject: string) {
    const [row] = await tx
      .select()
      .from(userIdentities)
      .where(and(eq(userIdentities.provider, provider), eq(userIdentities.subject, subject)))
      .limit(1);
    return row ?? null;
  }

  async function linkedEvents(
    tx: Db,
    user: User,
    identity: UserIdentityRow,
    via: "profile" | "verified_email" | "new_account",
    context: AuditContext,
    at: Date,
  ) {
    await recordAuditEvent(
      tx,
      {
        type: "identity.linked",
        userId: user.id,
        details: { identity_id: identity.id, provider: identity.provider, via },
      },
      context,
      at,
    );
    await queueMail(
      tx,
      {
        kind: via === "new_account" ? "provider_account_created" : "identity_linked",
        to: user.email,
        data: { provider: identity.provider, at: at.toISOString() },
      },
      at,
    );
  }

  async function signInOnce(
    profile: ExternalProfile,
    trustEmail: boolean,
    context: AuditContext,
  ): Promise<IdentitySignIn> {
    return db.transaction(async (tx) => {
      const at = new Date(now());
      const known = await findIdentity(tx, profile.provider, profile.subject);
      if (known) {
        const record = await lockUserRecord(tx, known.userId, "share");
        if (!record?.isActive) throw new InactiveUserError();
        await tx
          .update(userIdentities)
          .set({ lastUsedAt: at, email: profile.email })
          .where(eq(userIdentities.id, known.id));
        return { user: toUser(record), created: false, linked: false };
      }
      if (!profile.emailVerified || !profile.email) throw new IdentityEmailUnverifiedError();
      const existing = await getUserByEmail(tx, profile.email);
      if (existing) {
        // Both sides verified: else whoever registered the address first (without proving it) would get
        // the provider's account, or the provider's user an account someone else set a password on.
        if (!trustEmail || existing.emailVerifiedAt === null) throw new IdentityAccountExistsError();
        const record = await lockUserRecord(tx, existing.id, "update");
        if (!record?.isActive) throw new InactiveUserError();
        const identity = await attach(tx, record.id, profile, at);
        if (!identity) throw new EmailTakenError(); // a concurrent sign-in linked it: retry reads it
        const user = toUser(record);
        await linkedEvents(tx, user, identity, "verified_email", context, at);
        return { user, created: false, linked: true };
      }
      const user = await createUser(tx, {
        email: profile.email,
        hashedPassword: NO_PASSWORD_HASH,
        fullName: profile.name,
        emailVerified: true,
      });
      const identity = await attach(tx, user.id, profile, at);
      if (!identity) throw new EmailTakenError();
      await recordAuditEvent(
        tx,
        { type: "user.registered", userId: user.id, details: { method: profile.provider } },
        context,
        at,
      );
      await linkedEvents(tx, user, identity, "new_account", context, at);
      return { user, created: true, linked: false };
    });
  }

  return {
    async signIn(profile, { trustEmail }, context = {}) {
      return guard(async () => {
        try {
          return await signInOnce(profile, trustEmail, context);
        } catch (error) {
          // Another first sign-in of the same person created the account or linked the identity between
          // our read and our insert; the second pass finds what it committed.
          if (!(error instanceof EmailTakenError)) throw error;
          return signInOnce(profile, trustEmail, context);
        }
      });
    },

    async link(userId, profile, tokensBoundary, context = {}) {
      return guard(() =>
        db.transaction(async (tx) => {
          const at = new Date(now());
          const record = await lockUserRecord(tx, userId, "update");
          if (!record?.isActive || record.passwordChangedAt.getTime() !== tokensBoundary.getTime())
            throw new InvalidLoginCodeError();
          const identity = await attach(tx, userId, profile, at);
          if (!identity) {
            const holder = await findIdentity(tx, profile.provider, profile.subject);
            if (holder?.userId !== userId) throw new IdentityTakenError();
            return toIdentity(holder);
          }
          await linkedEvents(tx, toUser(record), identity, "profile", context, at);
          return toIdentity(identity);
        }),
      );
    },

    async list(userId) {
      return guard(async () => {
        const rows = await db
          .select()
          .from(userIdentities)
          .where(eq(userIdentities.userId, userId))
          .orderBy(asc(userIdentities.createdAt), asc(userIdentities.id));
        return rows.map(toIdentity);
      });
    },

    async unlink(userId, identityId, context = {}) {
      if (!UUID.test(identityId)) throw new IdentityNotFoundError();
      return guard(() =>
        db.transaction(async (tx) => {
          const at = new Date(now());
          const record = await lockUserRecord(tx, userId, "update");
          if (!record) throw new IdentityNotFoundError();
          const owned = await tx.select().from(userIdentities).where(eq(userIdentities.userId, userId));
          const target = owned.find((row) => row.id === identityId);
          if (!target) throw new IdentityNotFoundError();
          const [passkeys] = await tx
            .select({ n: count() })
            .from(webauthnCredentials)
            .where(eq(webauthnCredentials.userId, userId));
          // A passkey signs in alone (passwordless), so it counts as a way in.
          const otherWays =
            owned.length - 1 + (passkeys?.n ?? 0) + (hasPassword(record.hashedPassword) ? 1 : 0);
          if (otherWays === 0) throw new LastSignInMethodError();
          await tx.delete(userIdentities).where(eq(userIdentities.id, target.id));
          await recordAuditEvent(
            tx,
            {
              type: "identity.unlinked",
              userId,
              details: { identity_id: target.id, provider: target.provider },
            },
            context,
            at,
          );
          await queueMail(
            tx,
            {
              kind: "identity_unlinked",
              to: record.email,
              data: { provider: target.provider, at: at.toISOString() },
            },
            at,
          );
          return toIdentity(target);
        }),
      );
    },

    async issueLoginCode(user, grant) {
      return guard(() =>
        issueLoginCode(
          db,
          "login",
          { userId: user.id, passwordChangedAt: user.passwordChangedAt, ...grant },
          now(),
        ),
      );
    },

    async redeemLoginCode(code) {
      return guard(async () => {
        const ticket = await redeemLoginCode(db, "login", code, now());
        if (!ticket) throw new InvalidLoginCodeError();
        return { user: await currentUser(ticket), ticket };
      });
    },

    async issueLinkTicket(user, provider) {
      return guard(() =>
        issueLoginCode(
          db,
          "link",
          {
            userId: user.id,
            provider,
            amr: [],
            secondFactorDone: false,
            passwordChangedAt: user.passwordChangedAt,
          },
          now(),
        ),
      );
    },

    async redeemLinkTicket(ticket, provider) {
      return guard(async () => {
        const row = await redeemLoginCode(db, "link", ticket, now());
        if (!row || row.provider !== provider) throw new InvalidLoginCodeError();
        return { user: await currentUser(row), tokensBoundary: row.passwordChangedAt };
      });
    },
  };

  /** The ticket's user, if still active and with the token boundary the ticket was issued under. */
  async function currentUser(ticket: LoginCodeTicket): Promise<User> {
    const user = await getUserById(db, ticket.userId);
    if (!user?.isActive || user.passwordChangedAt.getTime() !== ticket.passwordChangedAt.getTime())
      throw new InvalidLoginCodeError();
    return user;
  }
}

function toIdentity(row: UserIdentityRow): Identity {
  return {
    id: row.id,
    provider: row.provider,
    subject: row.subject,
    email: row.email,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
  };
}

async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DomainError) throw error;
    return translateDatabaseError(error);
  }
}
