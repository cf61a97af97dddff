import { and, count, eq, isNotNull, isNull, or, sql } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import { type AuditContext, recordAuditEvent } from "../audit/audit-log.js";
import { recordMfaDisabled } from "../audit/mfa-disabled.js";
import { createSecretSealer, SealedSecretError } from "../crypto/secret-sealer.js";
import type { Db } from "../db/client.js";
import { translateDatabaseError } from "../db/database-errors.js";
import { recoveryCodes, totpFactors, users, webauthnCredentials } from "../db/schema.js";
import {
  DomainError,
  IncorrectPasswordError,
  InvalidMfaCodeError,
  InvalidMfaSetupCodeError,
  InvalidMfaTokenError,
  MfaConflictError,
  type MfaMethod,
  MfaRequiredError,
  PasskeyAuthenticationError,
  PasskeyNotFoundError,
  PasskeyRegistrationError,
  UserNotFoundError,
} from "../errors.js";
import type { PasswordHasher } from "../ports.js";
import type { User } from "../users/user.js";
import { getUserById, getUserRecordById, lockUserRecord, toUser } from "../users/user-repository.js";
import {
  consumeMfaLoginToken,
  countMfaAttempt,
  issueMfaLoginToken,
  type MfaLoginTicket,
  readMfaLoginToken,
} from "./mfa-login-tokens.js";
import {
  type AuthenticationResponseJSON,
  authenticationOptions,
  listCredentials,
  type Passkey,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  registrationOptions,
  spendChallenge,
  toPasskey,
  verifyAssertion,
  verifyRegistration,
  type WebAuthnSettings,
} from "./passkeys.js";
import { generateRecoveryCodes, hashRecoveryCode } from "./recovery-codes.js";
import { generateTotpSecret, matchTotpStep, totpKeyUri, totpSecretToBase32 } from "./totp.js";

export interface MfaServiceDeps {
  db: Db;
  passwords: PasswordHasher;
  /**
   * Secret from which the key that encrypts TOTP secrets at rest is derived (HKDF-SHA256, its own
   * label); the api passes KEY_ENCRYPTION_SECRET when set, else JWT_SECRET. Changing it makes every
   * stored TOTP secret unreadable (their owners then sign in with a recovery code or a passkey).
   */
  secret: string;
  /** Shown by authenticator apps beside the account (`issuer` in the otpauth URI). */
  issuer: string;
  webauthn: WebAuthnSettings;
  /** Injected clock for tests; epoch milliseconds. */
  now?: () => number;
}

export interface MfaStatus {
  totp: { enabled: boolean; confirmedAt: Date | null };
  recoveryCodesRemaining: number;
  passkeys: Passkey[];
}

export interface TotpSetup {
  /** Base32, for typing into an authenticator app. */
  secret: string;
  /** `otpauth://totp/…`, for a QR code. */
  otpauthUri: string;
}

/** How a login's second step is proven: exactly one of these. */
export type SecondFactorProof =
  | { code: string }
  | { recoveryCode: string }
  | { webauthn: AuthenticationResponseJSON };

/** A finished sign-in: the user, and RFC 8176 `amr` values naming how they proved who they are. */
export interface MfaSignIn {
  user: User;
  amr: string[];
}

export interface MfaService {
  status(userId: string): Promise<MfaStatus>;
  /**
   * Starts (or restarts) a TOTP setup after checking the password. The factor is pending until confirmed.
   * @throws IncorrectPasswordError; MfaConflictError when TOTP is already enabled
   */
  beginTotpSetup(userId: string, currentPassword: string): Promise<TotpSetup>;
  /**
   * Turns the pending TOTP setup into a factor with a code from it, and returns a new set of recovery
   * codes (shown once). The code counts as used.
   * @throws InvalidMfaSetupCodeError; MfaConflictError when no setup is pending
   */
  confirmTotp(
    userId: string,
    code: string,
    context?: AuditContext,
  ): Promise<{ user: User; recoveryCodes: string[] }>;
  /**
   * Removes the TOTP factor after checking the password; recovery codes go too when no factor is left.
   * @throws IncorrectPasswordError; MfaConflictError when TOTP is not enabled
   */
  disableTotp(userId: string, currentPassword: string, context?: AuditContext): Promise<User>;
  /**
   * A new set of recovery codes; the old set stops working.
   * @throws IncorrectPasswordError; MfaConflictError when the account has no second factor
   */
  regenerateRecoveryCodes(userId: string, currentPassword: string): Promise<string[]>;
  /**
   * Returns when the user has no second factor; otherwise issues an mfa_token for the login's second
   * step and throws, so no session is started.
   * @throws MfaRequiredError
   */
  requireSecondFactor(user: User): Promise<void>;
  /**
   * The user an mfa_token stands for (active, password unchanged since), without spending an attempt.
   * @throws InvalidMfaTokenError
   */
  userForMfaToken(mfaToken: string): Promise<User>;
  /**
   * The login's second step. Counts an attempt on the token first (the fifth wrong one kills it), then
   * checks the proof and spends the token in one transaction. A wrong proof rolls that back and is
   * recorded as `mfa.failed` on its own, as the counted attempt is.
   * @throws InvalidMfaTokenError; InvalidMfaCodeError
   */
  completeSignIn(mfaToken: string, proof: SecondFactorProof, context?: AuditContext): Promise<MfaSignIn>;
  /** Request options for a passkey as the second step of this mfa_token's login. */
  secondFactorPasskeyOptions(mfaToken: string): Promise<PublicKeyCredentialRequestOptionsJSON>;
  /**
   * Superusers: removes every second factor of a user (TOTP, recovery codes, passkeys). `context.actor`
   * names the superuser in the `mfa.disabled` event.
   */
  removeAllFactors(userId: string, context?: AuditContext): Promise<User>;

  passkeyRegistrationOptions(user: User): Promise<PublicKeyCredentialCreationOptionsJSON>;
  /** @throws PasskeyRegistrationError */
  registerPasskey(
    userId: string,
    response: RegistrationResponseJSON,
    name?: string,
    context?: AuditContext,
  ): Promise<Passkey>;
  listPasskeys(userId: string): Promise<Passkey[]>;
  /** @throws PasskeyNotFoundError */
  renamePasskey(userId: string, passkeyId: string, name: string): Promise<Passkey>;
  /**
   * Deletes a passkey; `user.mfaEnabled` says whether a second factor is left (when none is, the
   * `mfa.disabled` event and its mail were written too).
   * @throws PasskeyNotFoundError
   */
  deletePasskey(
    userId: string,
    passkeyId: string,
    context?: AuditContext,
  ): Promise<{ passkey: Passkey; user: User }>;
  passwordlessOptions(): Promise<PublicKeyCredentialRequestOptionsJSON>;
  /**
   * Signs in with a discoverable passkey alone (`amr: ["hwk"]`).
   * @throws PasskeyAuthenticationError
   */
  passwordlessSignIn(response: AuthenticationResponseJSON): Promise<MfaSignIn>;
}

/** What a factor change did, for the events written in its transaction. */
interface FactorChange<T> {
  result: T;
  /** The user after the change; `mfaEnabled` says whether any second factor is left. */
  user: User;
  wasEnabled: boolean;
  at: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Second factors over any `Db`: TOTP (secret sealed at rest, each time step accepted once), recovery
 * codes (hashed, single use), passkeys (@simplewebauthn/server, challenges in the database), and the
 * two-step login between them. Every rule that must hold under concurrency is one conditional UPDATE or
 * DELETE: the token's attempt count, the TOTP step, a recovery code's `used_at`, a challenge, a sign
 * counter. Adding or removing a factor locks the user row `FOR UPDATE` and recomputes `users.mfa_enabled`
 * in the same transaction.
 * @example
 * const mfa = createMfaService({ db, passwords, secret, issuer: "Acme", webauthn: { rpId, rpName, origins } });
 * await mfa.requireSecondFactor(await users.authenticate(credentials)); // throws MfaRequiredError
 * const { user, amr } = await mfa.completeSignIn(mfaToken, { code: "123456" });
 */
export function createMfaService(deps: MfaServiceDeps): MfaService {
  const { db, passwords, webauthn } = deps;
  const now = deps.now ?? Date.now;
  const sealer = createSecretSealer(deps.secret, "totp secret encryption v1");
  const sealedFor = (userId: string) => `totp:${userId}`;

  async function checkPassword(userId: string, password: string): Promise<void> {
    const record = await getUserRecordById(db, userId);
    if (!record) throw new UserNotFoundError();
    if (!(await passwords.verify(password, record.hashedPassword))) throw new IncorrectPasswordError();
  }

  /**
   * Runs `work` holding the user row `FOR UPDATE`, then recomputes `mfa_enabled` from the factors and
   * hands the outcome to `record`, so the security-log events commit with the change they describe.
   */
  async function changeFactors<T>(
    userId: string,
    work: (tx: Db) => Promise<T>,
    record: (tx: Db, change: FactorChange<T>) => Promise<void> = async () => {},
  ): Promise<{ result: T; user: User }> {
    return db.transaction(async (tx) => {
      const locked = await lockUserRecord(tx, userId, "update");
      if (!locked) throw new UserNotFoundError();
      const result = await work(tx);
      const enabled = sql<boolean>`(exists (select 1 from ${totpFactors} where ${totpFactors.userId} = ${userId} and ${totpFactors.confirmedAt} is not null) or exists (select 1 from ${webauthnCredentials} where ${webauthnCredentials.userId} = ${userId}))`;
      const [row] = await tx
        .update(users)
        .set({ mfaEnabled: enabled })
        .where(eq(users.id, userId))
        .returning({ mfaEnabled: users.mfaEnabled });
      // Recovery codes stand in for a factor; with none left they would be a way in on their own.
      if (!row?.mfaEnabled) await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
      const user = { ...toUser(locked), mfaEnabled: row?.mfaEnabled ?? false };
      // Wall-clock time, as every other event of the log: `now` may be a test's clock for TOTP steps.
      await record(tx, { result, user, wasEnabled: locked.mfaEnabled, at: new Date() });
      return { result, user };
    });
  }

  async function replaceRecoveryCodes(tx: Db, userId: string): Promise<string[]> {
    const codes = generateRecoveryCodes();
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
    await tx.insert(recoveryCodes).values(
      codes.map((code) => ({
        id: uuidv7(),
        userId,
        codeHash: hashRecoveryCode(code),
        createdAt: new Date(now()),
      })),
    );
    return codes;
  }

  async function methodsOf(userId: string): Promise<MfaMethod[]> {
    const status = await statusOf(userId);
    const methods: MfaMethod[] = [];
    if (status.totp.enabled) methods.push("totp");
    if (status.recoveryCodesRemaining > 0) methods.push("recovery_code");
    if (status.passkeys.length > 0) methods.push("webauthn");
    return methods;
  }

  async function statusOf(userId: string): Promise<MfaStatus> {
    const [totp] = await db
      .select({ confirmedAt: totpFactors.confirmedAt })
      .from(totpFactors)
      .where(eq(totpFactors.userId, userId))
      .limit(1);
    const [codes] = await db
      .select({ remaining: count() })
      .from(recoveryCodes)
      .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
    const passkeys = (await listCredentials(db, userId)).map(toPasskey);
    const confirmedAt = totp?.confirmedAt ?? null;
    return {
      totp: { enabled: confirmedAt !== null, confirmedAt },
      recoveryCodesRemaining: codes?.remaining ?? 0,
      passkeys,
    };
  }

  /** A live token's user, who must still be active with the password the token was issued after. */
  async function ticketUser(ticket: { userId: string; passwordChangedAt: Date }): Promise<User> {
    const user = await getUserById(db, ticket.userId);
    if (!user?.isActive || user.passwordChangedAt.getTime() !== ticket.passwordChangedAt.getTime())
      throw new InvalidMfaTokenError();
    return user;
  }

  async function proveTotp(tx: Db, userId: string, code: string): Promise<void> {
    const [factor] = await tx
      .select()
      .from(totpFactors)
      .where(and(eq(totpFactors.userId, userId), isNotNull(totpFactors.confirmedAt)))
      .limit(1);
    if (!factor) throw new InvalidMfaCodeError();
    // A secret sealed under another KEY_ENCRYPTION_SECRET (a restore with the wrong one) can match no
    // code: the person is refused like any wrong code and signs in with a recovery code or a passkey.
    // Production does not get this far: it refuses to start when the signing keys do not open.
    let secret: Buffer;
    try {
      secret = sealer.open(sealedFor(userId), factor.secretCiphertext);
    } catch (error) {
      if (error instanceof SealedSecretError) throw new InvalidMfaCodeError();
      throw error;
    }
    const step = matchTotpStep(secret, code.trim(), now(), factor.lastUsedStep);
    if (step === null || !(await acceptTotpStep(tx, userId, step, true))) throw new InvalidMfaCodeError();
  }

  /** Records `step` as used unless it (or a later one) already is: the once-per-code rule. */
  async function acceptTotpStep(tx: Db, userId: string, step: number, confirmed: boolean): Promise<boolean> {
    const rows = await tx
      .update(totpFactors)
      .set({ lastUsedStep: step, ...(confirmed ? {} : { confirmedAt: new Date(now()) }) })
      .where(
        and(
          eq(totpFactors.userId, userId),
          confirmed ? isNotNull(totpFactors.confirmedAt) : isNull(totpFactors.confirmedAt),
          or(isNull(totpFactors.lastUsedStep), sql`${totpFactors.lastUsedStep} < ${step}`),
        ),
      )
      .returning({ userId: totpFactors.userId });
    return rows.length > 0;
  }

  async function proveRecoveryCode(tx: Db, userId: string, code: string): Promise<void> {
    const spent = await tx
      .update(recoveryCodes)
      .set({ usedAt: new Date(now()) })
      .where(
        and(
          eq(recoveryCodes.userId, userId),
          eq(recoveryCodes.codeHash, hashRecoveryCode(code)),
          isNull(recoveryCodes.usedAt),
        ),
      )
      .returning({ id: recoveryCodes.id });
    if (spent.length === 0) throw new InvalidMfaCodeError();
  }

  function spendAssertionChallenge(
    response: AuthenticationResponseJSON,
    purpose: "second_factor" | "passwordless",
    userId: string | null,
  ): Promise<string | null> {
    return spendChallenge(db, clientDataOf(response), purpose, userId, now());
  }

  /** Checks the proof and spends the token in one transaction; a wrong proof rolls back. */
  async function proveSecondFactor(
    mfaToken: string,
    proof: SecondFactorProof,
    ticket: MfaLoginTicket,
  ): Promise<MfaSignIn> {
    const user = await ticketUser(ticket);
    const challenge =
      "webauthn" in proof ? await spendAssertionChallenge(proof.webauthn, "second_factor", user.id) : null;
    const amr = await db.transaction(async (tx) => {
      let method: string;
      if ("code" in proof) {
        await proveTotp(tx, user.id, proof.code);
        method = "otp";
      } else if ("recoveryCode" in proof) {
        await proveRecoveryCode(tx, user.id, proof.recoveryCode);
        method = "otp";
      } else {
        const credential = await verifyAssertion(
          tx,
          webauthn,
          "second_factor",
          user.id,
          proof.webauthn,
          now(),
          challenge,
        ).catch((error: unknown) => {
          if (error instanceof DomainError) throw error;
          // A response too malformed for the library to read is a wrong answer like any other.
          return null;
        });
        if (!credential) throw new InvalidMfaCodeError();
        method = "hwk";
      }
      await consumeMfaLoginToken(tx, mfaToken, now());
      return ["pwd", method, "mfa"];
    });
    return { user, amr };
  }

  /**
   * A wrong second factor at login: its own transaction, since the proof's rolled back and the attempt
   * was counted (committed) before the check. Names the method tried, never what was sent.
   */
  async function recordMfaFailure(userId: string, proof: SecondFactorProof, context: AuditContext) {
    const method = "code" in proof ? "totp" : "recoveryCode" in proof ? "recovery_code" : "webauthn";
    await db.transaction((tx) =>
      recordAuditEvent(
        tx,
        { type: "mfa.failed", userId, details: { method } },
        { ...context, actor: { type: "system" } },
      ),
    );
  }

  /**
   * TOTP removed: `mfa.disabled` always; the "turned off" mail (through the outbox) only when no second
   * factor is left, since with a passkey remaining the account still asks for one.
   */
  async function recordTotpRemoved(tx: Db, change: FactorChange<unknown>, context: AuditContext) {
    const details = { factor: "totp" };
    if (change.user.mfaEnabled)
      await recordAuditEvent(
        tx,
        { type: "mfa.disabled", userId: change.user.id, details },
        context,
        change.at,
      );
    else await recordMfaDisabled(tx, change.user, context, { at: change.at, details });
  }

  return {
    status: (userId) => guard(() => statusOf(userId)),

    async beginTotpSetup(userId, currentPassword) {
      await checkPassword(userId, currentPassword);
      return guard(async () => {
        const secret = generateTotpSecret();
        const { result } = await changeFactors(userId, async (tx) => {
          const [existing] = await tx
            .select({ confirmedAt: totpFactors.confirmedAt })
            .from(totpFactors)
            .where(eq(totpFactors.userId, userId))
            .limit(1);
          if (existing?.confirmedAt) throw new MfaConflictError("TOTP is already enabled; disable it first.");
          const values = { secretCiphertext: sealer.seal(sealedFor(userId), secret), lastUsedStep: null };
          await tx
            .insert(totpFactors)
            .values({ userId, ...values, createdAt: new Date(now()) })
            .onConflictDoUpdate({ target: totpFactors.userId, set: values });
          const [user] = await tx.select({ email: users.email }).from(users).where(eq(users.id, userId));
          return user?.email ?? userId;
        });
        return {
          secret: totpSecretToBase32(secret),
          otpauthUri: totpKeyUri(deps.issuer, result, secret),
        };
      });
    },

    async confirmTotp(userId, code, context = {}) {
      return guard(async () => {
        const { result, user } = await changeFactors(
          userId,
          async (tx) => {
            const [pending] = await tx
              .select()
              .from(totpFactors)
              .where(eq(totpFactors.userId, userId))
              .limit(1);
            if (!pending || pending.confirmedAt !== null)
              throw new MfaConflictError("No TOTP setup is pending; start one first.");
            const secret = sealer.open(sealedFor(userId), pending.secretCiphertext);
            const step = matchTotpStep(secret, code.trim(), now(), null);
            if (step === null || !(await acceptTotpStep(tx, userId, step, false)))
              throw new InvalidMfaSetupCodeError();
            return replaceRecoveryCodes(tx, userId);
          },
          (tx, { at }) =>
            recordAuditEvent(
              tx,
              { type: "mfa.enabled", userId, details: { factor: "totp" } },
              context,
              at,
            ).then(() => {}),
        );
        return { user, recoveryCodes: result };
      });
    },

    async disableTotp(userId, currentPassword, context = {}) {
      await checkPassword(userId, currentPassword);
      return guard(async () => {
        const { user } = await changeFactors(
          userId,
          async (tx) => {
            const removed = await tx
              .delete(totpFactors)
              .where(and(eq(totpFactors.userId, userId), isNotNull(totpFactors.confirmedAt)))
              .returning({ userId: totpFactors.userId });
            if (removed.length === 0) throw new MfaConflictError("TOTP is not enabled.");
          },
          (tx, change) => recordTotpRemoved(tx, change, context),
        );
        return user;
      });
    },

    async regenerateRecoveryCodes(userId, currentPassword) {
      await checkPassword(userId, currentPassword);
      return guard(async () => {
        const { result } = await changeFactors(userId, async (tx) => {
          const [row] = await tx
            .select({ mfaEnabled: users.mfaEnabled })
            .from(users)
            .where(eq(users.id, userId));
          if (!row?.mfaEnabled)
            throw new MfaConflictError(
              "Recovery codes need a second factor: set up TOTP or a passkey first.",
            );
          return replaceRecoveryCodes(tx, userId);
        });
        return result;
      });
    },

    async requireSecondFactor(user) {
      if (!user.mfaEnabled) return;
      const { token, expiresInSeconds } = await guard(async () =>
        issueMfaLoginToken(db, { userId: user.id, passwordChangedAt: user.passwordChangedAt }, now()),
      );
      throw new MfaRequiredError(token, await guard(() => methodsOf(user.id)), expiresInSeconds);
    },

    async userForMfaToken(mfaToken) {
      return guard(async () => ticketUser(await readMfaLoginToken(db, mfaToken, now())));
    },

    async completeSignIn(mfaToken, proof, context = {}) {
      return guard(async () => {
        const ticket = await countMfaAttempt(db, mfaToken, now());
        try {
          return await proveSecondFactor(mfaToken, proof, ticket);
        } catch (error) {
          if (error instanceof InvalidMfaCodeError) await recordMfaFailure(ticket.userId, proof, context);
          throw error;
        }
      });
    },

    async secondFactorPasskeyOptions(mfaToken) {
      return guard(async () => {
        const user = await ticketUser(await readMfaLoginToken(db, mfaToken, now()));
        return authenticationOptions(db, webauthn, "second_factor", user.id, now());
      });
    },

    async removeAllFactors(userId, context = {}) {
      return guard(async () => {
        const { user } = await changeFactors(
          userId,
          async (tx) => {
            await tx.delete(totpFactors).where(eq(totpFactors.userId, userId));
            await tx.delete(webauthnCredentials).where(eq(webauthnCredentials.userId, userId));
            await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
          },
          async (tx, change) => {
            // Nothing to tell when the account had no second factor to lose.
            if (change.wasEnabled)
              await recordMfaDisabled(tx, change.user, context, {
                at: change.at,
                details: { reason: "removed_by_superuser" },
              });
          },
        );
        return user;
      });
    },

    async passkeyRegistrationOptions(user) {
      return guard(() => registrationOptions(db, webauthn, user, now()));
    },

    async registerPasskey(userId, response, name, context = {}) {
      return guard(async () => {
        const challenge = await spendChallenge(db, clientDataOf(response), "registration", userId, now());
        const { result } = await changeFactors(
          userId,
          async (tx) => {
            let row: Awaited<ReturnType<typeof verifyRegistration>>;
            try {
              const label = name?.trim() || `Passkey ${(await listCredentials(tx, userId)).length + 1}`;
              row = await verifyRegistration(tx, webauthn, userId, response, label, now(), challenge);
            } catch (error) {
              if (error instanceof DomainError) throw error;
              throw new PasskeyRegistrationError({ cause: error });
            }
            if (!row) throw new PasskeyRegistrationError();
            return toPasskey(row);
          },
          async (tx, { result: passkey, at }) => {
            await recordAuditEvent(
              tx,
              { type: "passkey.added", userId, details: { passkey_id: passkey.id, name: passkey.name } },
              context,
              at,
            );
          },
        );
        return result;
      });
    },

    listPasskeys: (userId) => guard(async () => (await listCredentials(db, userId)).map(toPasskey)),

    async renamePasskey(userId, passkeyId, name) {
      if (!UUID.test(passkeyId)) throw new PasskeyNotFoundError();
      return guard(async () => {
        const [row] = await db
          .update(webauthnCredentials)
          .set({ name })
          .where(and(eq(webauthnCredentials.id, passkeyId), eq(webauthnCredentials.userId, userId)))
          .returning();
        if (!row) throw new PasskeyNotFoundError();
        return toPasskey(row);
      });
    },

    async deletePasskey(userId, passkeyId, context = {}) {
      if (!UUID.test(passkeyId)) throw new PasskeyNotFoundError();
      return guard(async () => {
        const { result, user } = await changeFactors(
          userId,
          async (tx) => {
            const [row] = await tx
              .delete(webauthnCredentials)
              .where(and(eq(webauthnCredentials.id, passkeyId), eq(webauthnCredentials.userId, userId)))
              .returning();
            if (!row) throw new PasskeyNotFoundError();
            return toPasskey(row);
          },
          async (tx, { result: passkey, user, wasEnabled, at }) => {
            await recordAuditEvent(
              tx,
              { type: "passkey.removed", userId, details: { passkey_id: passkey.id, name: passkey.name } },
              context,
              at,
            );
            if (wasEnabled && !user.mfaEnabled)
              await recordMfaDisabled(tx, user, context, { at, details: { reason: "last_factor_removed" } });
          },
        );
        return { passkey: result, user };
      });
    },

    passwordlessOptions: () => guard(() => authenticationOptions(db, webauthn, "passwordless", null, now())),

    async passwordlessSignIn(response) {
      return guard(async () => {
        let credential: Awaited<ReturnType<typeof verifyAssertion>>;
        try {
          const challenge = await spendAssertionChallenge(response, "passwordless", null);
          credential = await verifyAssertion(db, webauthn, "passwordless", null, response, now(), challenge);
        } catch (error) {
          if (error instanceof DomainError) throw error;
          throw new PasskeyAuthenticationError({ cause: error });
        }
        if (!credential) throw new PasskeyAuthenticationError();
        const user = await getUserById(db, credential.userId);
        if (!user?.isActive) throw new PasskeyAuthenticationError();
        return { user, amr: ["hwk"] };
      });
    },
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

/** The clientDataJSON of a response whose shape the caller has not vouched for; "" when missing. */
function clientDataOf(response: { response?: { clientDataJSON?: unknown } }): string {
  const value = response.response?.clientDataJSON;
  return typeof value === "string" ? value : "";
}
