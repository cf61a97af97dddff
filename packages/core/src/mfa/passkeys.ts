import {
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
import { and, asc, eq, gt, isNull, lt, sql } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import type { Db } from "../db/client.js";
import { type WebauthnCredentialRow, webauthnChallenges, webauthnCredentials } from "../db/schema.js";

/** Where passkeys are scoped: the relying party's id (a registrable domain) and the origins it serves. */
export interface WebAuthnSettings {
  rpId: string;
  rpName: string;
  origins: string[];
}

export const WEBAUTHN_CHALLENGE_TTL_SECONDS = 5 * 60;
const TIMEOUT_MS = WEBAUTHN_CHALLENGE_TTL_SECONDS * 1000;

export type ChallengePurpose = "registration" | "second_factor" | "passwordless";

/** A passkey as its owner sees it. */
export interface Passkey {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
};

export function toPasskey(row: WebauthnCredentialRow): Passkey {
  return { id: row.id, name: row.name, createdAt: row.createdAt, lastUsedAt: row.lastUsedAt };
}

/** The user handle a passkey is registered under: the user id's UTF-8 bytes (no email or name). */
export function userHandleOf(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId, "utf8"));
}

export async function listCredentials(db: Db, userId: string): Promise<WebauthnCredentialRow[]> {
  return db
    .select()
    .from(webauthnCredentials)
    .where(eq(webauthnCredentials.userId, userId))
    .orderBy(asc(webauthnCredentials.createdAt), asc(webauthnCredentials.id));
}

async function storeChallenge(
  db: Db,
  challenge: string,
  purpose: ChallengePurpose,
  userId: string | null,
  at: number,
): Promise<void> {
  // Each new ceremony sweeps the expired ones: the table holds only challenges still in flight.
  await db.delete(webauthnChallenges).where(lt(webauthnChallenges.expiresAt, new Date(at)));
  await db.insert(webauthnChallenges).values({
    challenge,
    purpose,
    userId,
    expiresAt: new Date(at + WEBAUTHN_CHALLENGE_TTL_SECONDS * 1000),
    createdAt: new Date(at),
  });
}

/**
 * Spends the challenge a response answers: one `DELETE … RETURNING` that also checks purpose, owner and
 * expiry. Two replicas finishing the same ceremony at once: one deletes the row, the other finds none.
 * Called before (outside) the transaction that uses it, so a failed attempt that rolls back still
 * leaves its challenge spent.
 * @returns the challenge when it was outstanding (and is now spent), else null.
 */
export async function spendChallenge(
  db: Db,
  clientDataJSON: string,
  purpose: ChallengePurpose,
  userId: string | null,
  at: number,
): Promise<string | null> {
  const challenge = challengeOf(clientDataJSON);
  if (challenge === null) return null;
  const [row] = await db
    .delete(webauthnChallenges)
    .where(
      and(
        eq(webauthnChallenges.challenge, challenge),
        eq(webauthnChallenges.purpose, purpose),
        userId === null ? isNull(webauthnChallenges.userId) : eq(webauthnChallenges.userId, userId),
        gt(webauthnChallenges.expiresAt, new Date(at)),
      ),
    )
    .returning({ challenge: webauthnChallenges.challenge });
  return row?.challenge ?? null;
}

/** The challenge inside a response's clientDataJSON (base64url JSON), or null when it is unreadable. */
function challengeOf(clientDataJSON: string): string | null {
  try {
    const parsed = JSON.parse(Buffer.from(clientDataJSON, "base64url").toString("utf8")) as unknown;
    const challenge = (parsed as { challenge?: unknown }).challenge;
    return typeof challenge === "string" && challenge.length > 0 && challenge.length <= 512
      ? challenge
      : null;
  } catch {
    return null;
  }
}

export async function registrationOptions(
  db: Db,
  settings: WebAuthnSettings,
  user: { id: string; email: string; fullName: string | null },
  at: number,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await listCredentials(db, user.id);
  const options = await generateRegistrationOptions({
    rpName: settings.rpName,
    rpID: settings.rpId,
    userID: userHandleOf(user.id),
    userName: user.email,
    userDisplayName: user.fullName ?? user.email,
    timeout: TIMEOUT_MS,
    attestationType: "none",
    excludeCredentials: existing.map((row) => ({
      id: row.credentialId,
      transports: row.transports as AuthenticatorTransportFuture[],
    })),
    // Discoverable, so the same passkey can sign in without a password.
    authenticatorSelection: { residentKey: "required", userVerification: "preferred" },
  });
  await storeChallenge(db, options.challenge, "registration", user.id, at);
  return options;
}

/**
 * Verifies a registration response against its (now spent) challenge and stores the credential.
 * `challenge` is what `spendChallenge` returned for this response.
 * @returns the new row, or null when the response does not verify.
 */
export async function verifyRegistration(
  db: Db,
  settings: WebAuthnSettings,
  userId: string,
  response: RegistrationResponseJSON,
  name: string,
  at: number,
  challenge: string | null,
): Promise<WebauthnCredentialRow | null> {
  if (challenge === null) return null;
  const verification = await verifyRegistrationResponse({
    response,
    expectedChallenge: challenge,
    expectedOrigin: settings.origins,
    expectedRPID: settings.rpId,
    requireUserVerification: false,
  });
  if (!verification.verified) return null;
  const { credential, credentialDeviceType, credentialBackedUp } = verification.registrationInfo;
  const [row] = await db
    .insert(webauthnCredentials)
    .values({
      id: uuidv7(),
      userId,
      credentialId: credential.id,
      publicKey: Buffer.from(credential.publicKey).toString("base64url"),
      signCount: credential.counter,
      transports: credential.transports ?? [],
      deviceType: credentialDeviceType,
      backedUp: credentialBackedUp,
      name,
      createdAt: new Date(at),
    })
    .onConflictDoNothing()
    .returning();
  return row ?? null;
}

/** Request options: for the user's own passkeys (`userId`), or for any discoverable one (null). */
export async function authenticationOptions(
  db: Db,
  settings: WebAuthnSettings,
  purpose: Exclude<ChallengePurpose, "registration">,
  userId: string | null,
  at: number,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const allow = userId === null ? [] : await listCredentials(db, userId);
  const options = await generateAuthenticationOptions({
    rpID: settings.rpId,
    timeout: TIMEOUT_MS,
    allowCredentials: allow.map((row) => ({
      id: row.credentialId,
      transports: row.transports as AuthenticatorTransportFuture[],
    })),
    // Alone, a passkey must prove the user too; after a password, possession is the second factor.
    userVerification: purpose === "passwordless" ? "required" : "preferred",
  });
  await storeChallenge(db, options.challenge, purpose, userId, at);
  return options;
}

/**
 * Verifies an assertion: its challenge, the credential (the user's own when `userId` is
 * given), origin, RP ID, signature and sign counter. The counter is then moved by a conditional UPDATE
 * from the value checked, so two concurrent assertions with one counter value cannot both pass.
 * `challenge` is what `spendChallenge` returned for this response.
 * @returns the credential's row, or null when anything fails.
 */
export async function verifyAssertion(
  db: Db,
  settings: WebAuthnSettings,
  purpose: Exclude<ChallengePurpose, "registration">,
  userId: string | null,
  response: AuthenticationResponseJSON,
  at: number,
  challenge: string | null,
): Promise<WebauthnCredentialRow | null> {
  if (challenge === null) return null;
  const [credential] = await db
    .select()
    .from(webauthnCredentials)
    .where(
      and(
        eq(webauthnCredentials.credentialId, response.id),
        ...(userId === null ? [] : [eq(webauthnCredentials.userId, userId)]),
      ),
    )
    .limit(1);
  if (!credential) return null;
  // A discoverable credential names its user; it must be the one the credential was registered to.
  const userHandle = response.response.userHandle;
  if (userHandle !== undefined && Buffer.from(userHandle, "base64url").toString("utf8") !== credential.userId)
    return null;
  let verification: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: settings.origins,
      expectedRPID: settings.rpId,
      credential: {
        id: credential.credentialId,
        publicKey: new Uint8Array(Buffer.from(credential.publicKey, "base64url")),
        counter: credential.signCount,
        transports: credential.transports as AuthenticatorTransportFuture[],
      },
      requireUserVerification: purpose === "passwordless",
    });
  } catch {
    // Wrong origin or RP ID, bad signature, a counter that went back (a cloned authenticator), …
    return null;
  }
  if (!verification.verified) return null;
  const info = verification.authenticationInfo;
  const [updated] = await db
    .update(webauthnCredentials)
    .set({
      signCount: info.newCounter,
      backedUp: info.credentialBackedUp,
      lastUsedAt: new Date(at),
    })
    .where(
      and(
        eq(webauthnCredentials.id, credential.id),
        // Moves only from the value that was checked; a zero counter (authenticators without one) stays.
        sql`${webauthnCredentials.signCount} = ${credential.signCount}`,
      ),
    )
    .returning();
  return updated ?? null;
}
