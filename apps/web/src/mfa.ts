/**
 * What the pages need to know about second factors, without the DOM or the network: reading the
 * sign-in's "second factor required" answer, and laying out a secret and recovery codes for people.
 */

/** The ways to prove the second factor, as the API names them in `methods`. */
export type MfaMethod = "totp" | "recovery_code" | "webauthn";

const MFA_METHODS: readonly MfaMethod[] = ["totp", "recovery_code", "webauthn"];

export const MFA_REQUIRED_PROBLEM = "/problems/mfa-required";

/** The half-finished sign-in after a right password: the token for the second step and its methods. */
export interface MfaChallenge {
  mfaToken: string;
  methods: MfaMethod[];
}

/**
 * The challenge in a sign-in answer, or undefined when the answer is anything else. Only a 403 of type
 * `/problems/mfa-required` with a token counts; methods the app does not know are dropped, and a body
 * without a usable list falls back to the authenticator code, which every account with MFA has.
 */
export function readMfaChallenge(status: number, body: unknown): MfaChallenge | undefined {
  if (status !== 403 || typeof body !== "object" || body === null) return undefined;
  const problem = body as Record<string, unknown>;
  if (problem["type"] !== MFA_REQUIRED_PROBLEM) return undefined;
  const token = problem["mfa_token"];
  if (typeof token !== "string" || token === "") return undefined;
  const listed = Array.isArray(problem["methods"]) ? problem["methods"] : [];
  const methods = MFA_METHODS.filter((method) => listed.includes(method));
  return { mfaToken: token, methods: methods.length > 0 ? methods : ["totp", "recovery_code"] };
}

/** "JBSWY3DPEHPK3PXP" → "JBSW Y3DP EHPK 3PXP": easier to type into an app by hand. */
export function groupSecret(secret: string): string {
  return (
    secret
      .replace(/[\s=]/g, "")
      .toUpperCase()
      .match(/.{1,4}/g)
      ?.join(" ") ?? ""
  );
}

/** Digits only, as people paste "123 456" or "123-456"; the API expects the six digits alone. */
export function normalizeTotpCode(input: string): string {
  return input.replace(/[\s-]/g, "");
}

/** The text file offered for download: what the codes are for, then one code per line. */
export function recoveryCodesFile(codes: readonly string[], account: string, issuedAt: Date): string {
  return [
    `Recovery codes for ${account}`,
    `Issued ${issuedAt.toISOString().slice(0, 10)}. Each code signs you in once when your authenticator is not at hand.`,
    "Creating a new set makes these void. Keep them somewhere safe.",
    "",
    ...codes,
    "",
  ].join("\n");
}

/** A file name that says what it holds and for which account, safe on every file system. */
export function recoveryCodesFileName(account: string): string {
  const safe = account.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "");
  return `recovery-codes-${safe || "account"}.txt`;
}
