/**
 * The only module that talks to the API. Routes that exist in `AppType` go through Hono's typed RPC
 * client, so a renamed field or path breaks `tsc` for this app rather than a user's session. Every failure
 * becomes an `ApiError`; a refused token also ends the session (`onSessionExpired`) before it is thrown.
 */
import type { AppType } from "@app/api";
import { DEFAULT_PASSWORD_POLICY, fromPasswordPolicyResource, type PasswordPolicy } from "@app/validators";
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "@simplewebauthn/browser";
import { hc, type InferResponseType } from "hono/client";
import { ApiError, apiErrorFromProblem } from "./api-error.js";
import { type MfaChallenge, readMfaChallenge } from "./mfa.js";

function createRpc(baseUrl: string, fetchImpl: typeof fetch) {
  return hc<AppType>(baseUrl, { fetch: fetchImpl });
}
type Rpc = ReturnType<typeof createRpc>;

export type User = InferResponseType<Rpc["v1"]["users"]["me"]["$get"], 200>;

export type UserPage = InferResponseType<Rpc["v1"]["users"]["$get"], 200>;

export type MfaStatus = InferResponseType<Rpc["v1"]["users"]["me"]["mfa"]["$get"], 200>;

export type TotpSetup = InferResponseType<Rpc["v1"]["users"]["me"]["mfa"]["totp"]["setup"]["$post"], 200>;

export type Passkey = InferResponseType<Rpc["v1"]["users"]["me"]["passkeys"]["$post"], 201>;
export type IdentityProvider = InferResponseType<
  Rpc["v1"]["auth"]["providers"]["$get"],
  200
>["items"][number];
export type LinkedIdentity = InferResponseType<
  Rpc["v1"]["users"]["me"]["identities"]["$get"],
  200
>["items"][number];

export interface RegisterRequest {
  email: string;
  password: string;
  full_name?: string | null;
}

export interface ProfileUpdate {
  email?: string;
  full_name?: string | null;
  /** Required with a new `email`. */
  current_password?: string;
}

export interface PasswordChange {
  current_password: string;
  new_password: string;
}

/** One signed-in session (a login) as `GET …/sessions` lists it; `current` marks this browser's. */
export type SessionInfo = InferResponseType<
  Rpc["v1"]["users"]["me"]["sessions"]["$get"],
  200
>["items"][number];

/** A page of the signed-in user's security log. */
export type SecurityEventPage = InferResponseType<Rpc["v1"]["users"]["me"]["events"]["$get"], 200>;

/** A page of the superusers' audit log: the same events, with the account each is about. */
export type AuditEventPage = InferResponseType<Rpc["v1"]["audit-events"]["$get"], 200>;

/** One security-log entry; `user_id` is there when it comes from the audit log. */
export type SecurityEvent = SecurityEventPage["items"][number] & { user_id?: string | null };

export interface AuditEventFilter {
  user_id?: string;
  type?: string;
  /** ISO 8601 instants, inclusive. */
  since?: string;
  until?: string;
}

export interface AdminUserUpdate {
  is_active?: boolean;
  is_superuser?: boolean;
}

type MfaLoginBody = Parameters<Rpc["v1"]["users"]["login"]["mfa"]["$post"]>[0]["json"];
type PasskeyLoginBody = Parameters<Rpc["v1"]["users"]["passkeys"]["login"]["$post"]>[0]["json"];
type PasskeyRegistrationBody = Parameters<Rpc["v1"]["users"]["me"]["passkeys"]["$post"]>[0]["json"];

/** A password sign-in either finishes, or waits for the second factor. */
export type SignInResult = { kind: "signed-in" } | { kind: "mfa-required"; challenge: MfaChallenge };

/** What proves the second factor: an authenticator code, a recovery code, or a passkey's assertion. */
export type SecondFactorProof =
  | { code: string }
  | { recovery_code: string }
  | { webauthn: AuthenticationResponseJSON };

/**
 * Where the access token is kept: the page's memory in the browser (see session.ts). The refresh token
 * is never here: the API keeps it in an HttpOnly cookie that only the refresh and logout routes read.
 */
export interface TokenStore {
  /** The access token. */
  get(): string | null;
  set(accessToken: string): void;
  clear(): void;
  /** Whether the cookie may hold a session worth renewing (false: do not ask, it would only be refused). */
  mayHaveSession(): boolean;
}

/**
 * Asks the API for cookie delivery: the refresh token is set as an HttpOnly cookie and left out of the
 * body. It is also the custom header the cookie routes require against cross-site requests.
 */
export const COOKIE_DELIVERY = { "x-token-delivery": "cookie" } as const;

export interface ApiClientOptions {
  /** Origin of the API, e.g. `window.location.origin` (the API and the pages share an origin). */
  baseUrl: string;
  tokens: TokenStore;
  /**
   * Called once the session could not be renewed and was cleared, with the refusal (its `type` tells a
   * deactivated account from an expired session); the app sends the person to sign-in.
   */
  onSessionExpired: (error: ApiError) => void;
  fetch?: typeof fetch;
}

export interface ApiClient {
  register(request: RegisterRequest): Promise<User>;
  /**
   * Exchanges credentials for an access and a refresh token and keeps them in the token store; for an
   * account with a second factor it resolves with the challenge instead, and no token is kept yet.
   */
  signIn(credentials: { email: string; password: string }): Promise<SignInResult>;
  /** The second step of a sign-in: keeps the tokens once the factor is accepted. */
  completeMfaSignIn(mfaToken: string, proof: SecondFactorProof): Promise<void>;
  /** Request options for using a passkey as the second factor of this sign-in. */
  mfaPasskeyOptions(mfaToken: string): Promise<PublicKeyCredentialRequestOptionsJSON>;
  /** Request options for a passwordless sign-in with any passkey the browser holds for this site. */
  passkeySignInOptions(): Promise<PublicKeyCredentialRequestOptionsJSON>;
  /** Signs in with a passkey alone and keeps the tokens. */
  signInWithPasskey(response: AuthenticationResponseJSON): Promise<void>;
  /**
   * Renews the access token through the session cookie, as a page load does: true when this browser is
   * signed in. Calls `onSessionExpired` only when the account has been deactivated.
   */
  restoreSession(): Promise<boolean>;
  /** Revokes this session's refresh token (best effort), clears its cookie and forgets the access token. */
  signOut(): Promise<void>;
  /** Revokes every session of the account, on every device, then forgets both tokens. */
  signOutEverywhere(): Promise<void>;
  isSignedIn(): boolean;
  me(): Promise<User>;
  updateMe(update: ProfileUpdate): Promise<User>;
  changePassword(change: PasswordChange): Promise<void>;
  deleteMe(): Promise<void>;
  mfaStatus(): Promise<MfaStatus>;
  /** Starts (or restarts) an authenticator-app setup; it stays pending until confirmed with a code. */
  setupTotp(currentPassword: string): Promise<TotpSetup>;
  /** Turns the pending authenticator on and returns the first recovery codes (shown once). */
  confirmTotp(code: string): Promise<string[]>;
  disableTotp(currentPassword: string): Promise<void>;
  /** A new set of recovery codes; the old set stops working. */
  regenerateRecoveryCodes(currentPassword: string): Promise<string[]>;
  passkeyRegistrationOptions(): Promise<PublicKeyCredentialCreationOptionsJSON>;
  addPasskey(response: RegistrationResponseJSON, name?: string): Promise<Passkey>;
  listPasskeys(): Promise<Passkey[]>;
  renamePasskey(id: string, name: string): Promise<Passkey>;
  removePasskey(id: string): Promise<void>;
  /** `filters` are `GET /v1/users` query parameters (search, sort, order, status flags) as strings. */
  listUsers(page: { limit: number; offset: number }, filters?: Record<string, string>): Promise<UserPage>;
  updateUser(id: string, update: AdminUserUpdate): Promise<User>;
  deleteUser(id: string): Promise<void>;
  /** Administrators: removes every second factor of an account (its owner lost them). */
  removeUserMfa(id: string): Promise<void>;
  getUser(id: string): Promise<User>;
  /** Where the signed-in user is signed in, newest first; `current` marks this browser's session. */
  listMySessions(): Promise<SessionInfo[]>;
  /** Ends one of the signed-in user's sessions: its refresh and access tokens stop working at once. */
  revokeMySession(id: string): Promise<void>;
  /** The signed-in user's security log, newest first. */
  listMyEvents(page: { limit: number; cursor?: string | undefined }): Promise<SecurityEventPage>;
  /** Superusers: another account's sessions. */
  listUserSessions(userId: string): Promise<SessionInfo[]>;
  revokeUserSession(userId: string, sessionId: string): Promise<void>;
  /** Superusers: the whole security log, filtered. */
  listAuditEvents(
    filter: AuditEventFilter,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<AuditEventPage>;
  /** Always resolves the same way whether or not the account exists (the API answers 202 either way). */
  requestPasswordReset(email: string): Promise<void>;
  confirmPasswordReset(request: { token: string; new_password: string }): Promise<void>;
  verifyEmail(token: string): Promise<void>;
  resendVerification(): Promise<void>;
  /** Signed out (right after registering): a new link to this address; 202 whether or not it has an account. */
  resendVerificationTo(email: string): Promise<void>;
  /**
   * The server's rules for a new password (`PASSWORD_MIN_LENGTH`), fetched once. If they cannot be read
   * the contract's floor is used for the inline checks; the server still enforces its own minimum.
   */
  passwordPolicy(): Promise<PasswordPolicy>;
  /** The identity providers to offer on the sign-in page; none when they cannot be read. */
  identityProviders(): Promise<IdentityProvider[]>;
  /** Where a "Sign in with …" button sends the browser (top level): the API redirects to the provider. */
  providerSignInUrl(provider: string, returnTo: string): string;
  /** Exchanges the one-time code a provider sign-in ended with, like `signIn` does credentials. */
  signInWithLoginCode(code: string): Promise<SignInResult>;
  listIdentities(): Promise<LinkedIdentity[]>;
  /** Where to send the browser (top level) to link this provider to the signed-in account. */
  linkIdentityUrl(provider: string): Promise<string>;
  unlinkIdentity(id: string): Promise<void>;
}

/**
 * How a 401 on an authenticated call is read. Most calls only fail 401 when the token is bad; the
 * password change also answers 401 for a wrong current password, which must not end the session.
 */
type SessionRule = "any-401" | "token-problems-only";
const ACCOUNT_DEACTIVATED = "/problems/account-deactivated";
const TOKEN_PROBLEM_TYPES = new Set([
  "/problems/invalid-token",
  "/problems/unauthenticated",
  ACCOUNT_DEACTIVATED,
]);

interface MinimalResponse {
  status: number;
  ok: boolean;
  headers: Headers;
  text(): Promise<string>;
}

/** RFC 6750 §3: a refused bearer token is announced with `WWW-Authenticate: Bearer`. */
function refusedToken(response: MinimalResponse): boolean {
  return /^Bearer\b/i.test(response.headers.get("WWW-Authenticate") ?? "");
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  // Calls that carry the access token belong to the session: signing out aborts the ones still in flight,
  // or a list that was loading would be answered 401 after the sign-out and read as an expired session.
  let sessionCalls = new AbortController();
  const rpc = createRpc(options.baseUrl, (input, init) => {
    const carriesToken = new Headers(init?.headers).has("authorization");
    return fetchImpl(input, carriesToken && !init?.signal ? { ...init, signal: sessionCalls.signal } : init);
  });
  const { tokens } = options;
  function signedOut(): void {
    tokens.clear();
    sessionCalls.abort();
    sessionCalls = new AbortController();
  }

  function bearer(): { Authorization: string } {
    const token = tokens.get();
    if (token === null)
      throw expire(refusal ?? new ApiError({ status: 401, detail: "You are not signed in." }));
    return { Authorization: `Bearer ${token}` };
  }

  // One renewal at a time: calls refused together share it (the API's grace window would also give
  // concurrent renewals the same pair, but one request is cheaper than several).
  let renewing: Promise<boolean> | undefined;
  /** Why the last renewal was refused, when the API said (a deactivated account). */
  let refusal: ApiError | undefined;
  function renew(): Promise<boolean> {
    renewing ??= (async () => {
      if (!tokens.mayHaveSession()) return false;
      // Cookie mode sends no body: the refresh token is the cookie, which the browser adds itself.
      const response = await send(() =>
        rpc.v1.users.token.refresh.$post({ header: COOKIE_DELIVERY } as Parameters<
          typeof rpc.v1.users.token.refresh.$post
        >[0]),
      );
      if (response.status !== 200) {
        // A network failure is not the end of the session; a refusal is (the API has cleared the cookie).
        if (response.status === 401) {
          tokens.clear();
          const error = problemFrom(response, await readJson(response));
          refusal = error.type === ACCOUNT_DEACTIVATED ? error : undefined;
        }
        return false;
      }
      refusal = undefined;
      tokens.set((await response.json()).access_token);
      return true;
    })().finally(() => {
      renewing = undefined;
    });
    return renewing;
  }

  /**
   * An authenticated call: the only way one is made (a unit test checks that every bearer header comes
   * from here). Without an access token in memory (a new tab, a reload) the session is renewed first;
   * when the API refuses the access token (a 401 with `WWW-Authenticate: Bearer`, which a wrong current
   * password never carries), the session is renewed once through the cookie and the call retried once;
   * the caller turns a second refusal into an expired session.
   */
  async function authorized<R extends MinimalResponse>(
    request: (headers: { Authorization: string }) => Promise<R>,
  ): Promise<R> {
    if (tokens.get() === null) await renew();
    const response = await send(() => request(bearer()));
    if (response.status !== 401 || !refusedToken(response)) return response;
    if (!(await renew())) return response;
    return send(() => request(bearer()));
  }

  function expire(error: ApiError): ApiError {
    // The calls still in flight are refused too and each says why; aborting them would lose that.
    tokens.clear();
    const expired = new ApiError({ ...error, sessionExpired: true });
    options.onSessionExpired(expired);
    return expired;
  }

  async function send<R extends MinimalResponse>(request: () => Promise<R>): Promise<R> {
    try {
      return await request();
    } catch (cause) {
      if (cause instanceof ApiError) throw cause;
      throw new ApiError({ status: 0, detail: "The server could not be reached." });
    }
  }

  async function readJson(response: MinimalResponse): Promise<unknown> {
    const text = await response.text().catch(() => "");
    try {
      return text === "" ? undefined : JSON.parse(text);
    } catch {
      return undefined;
    }
  }

  function problemFrom(response: MinimalResponse, body: unknown): ApiError {
    return apiErrorFromProblem(response.status, body, response.headers.get("Retry-After"));
  }

  async function failure(response: MinimalResponse, rule?: SessionRule): Promise<ApiError> {
    const error = problemFrom(response, await readJson(response));
    if (rule !== undefined && response.status === 401) {
      if (error.type === ACCOUNT_DEACTIVATED) return expire(error);
      if (rule === "any-401" || TOKEN_PROBLEM_TYPES.has(error.type)) return expire(error);
    }
    return error;
  }

  let policy: Promise<PasswordPolicy> | undefined;
  function loadPasswordPolicy(): Promise<PasswordPolicy> {
    policy ??= (async () => {
      const response = await send(() => rpc.v1.users["password-policy"].$get());
      if (response.status !== 200) throw await failure(response);
      return fromPasswordPolicyResource(await response.json());
    })().catch(() => {
      // Not cached: the next page asks again.
      policy = undefined;
      return DEFAULT_PASSWORD_POLICY;
    });
    return policy;
  }

  return {
    async register(request) {
      const response = await send(() => rpc.v1.users.$post({ json: request }));
      if (response.status !== 201) throw await failure(response);
      return response.json();
    },

    async signIn({ email, password }) {
      const response = await send(() =>
        // The route takes JSON or the OAuth2 form, which hc types as "both"; this sends the JSON body.
        rpc.v1.users.login.$post({ json: { email, password }, header: COOKIE_DELIVERY } as Parameters<
          typeof rpc.v1.users.login.$post
        >[0]),
      );
      if (response.status !== 200) {
        // The right password for an account with a second factor is a 403 problem carrying the mfa_token.
        const body = await readJson(response);
        const challenge = readMfaChallenge(response.status, body);
        if (challenge) return { kind: "mfa-required", challenge };
        throw problemFrom(response, body);
      }
      tokens.set((await response.json()).access_token);
      return { kind: "signed-in" };
    },

    async completeMfaSignIn(mfaToken, proof) {
      const response = await send(() =>
        rpc.v1.users.login.mfa.$post({
          json: { mfa_token: mfaToken, ...proof } as MfaLoginBody,
          header: COOKIE_DELIVERY,
        }),
      );
      if (response.status !== 200) throw await failure(response);
      tokens.set((await response.json()).access_token);
    },

    async mfaPasskeyOptions(mfaToken) {
      const response = await send(() =>
        rpc.v1.users.login.mfa.webauthn.options.$post({ json: { mfa_token: mfaToken } }),
      );
      if (response.status !== 200) throw await failure(response);
      return (await response.json()) as unknown as PublicKeyCredentialRequestOptionsJSON;
    },

    async passkeySignInOptions() {
      const response = await send(() => rpc.v1.users.passkeys.login.options.$post());
      if (response.status !== 200) throw await failure(response);
      return (await response.json()) as unknown as PublicKeyCredentialRequestOptionsJSON;
    },

    async signInWithPasskey(assertion) {
      const response = await send(() =>
        rpc.v1.users.passkeys.login.$post({
          json: { response: assertion as PasskeyLoginBody["response"] },
          header: COOKIE_DELIVERY,
        }),
      );
      if (response.status !== 200) throw await failure(response);
      tokens.set((await response.json()).access_token);
    },

    async restoreSession() {
      if (tokens.get() !== null) return true;
      if (await renew()) return true;
      // Not an expired session but a closed account: the app says so rather than "please sign in".
      if (refusal) expire(refusal);
      return false;
    },

    async signOut() {
      signedOut();
      // Signing out locally must not depend on the network: a failed revocation is only logged. The
      // answer clears the cookie, which script cannot.
      await send(() =>
        rpc.v1.users.logout.$post({ header: COOKIE_DELIVERY } as Parameters<
          typeof rpc.v1.users.logout.$post
        >[0]),
      ).catch(() => undefined);
    },

    async signOutEverywhere() {
      const response = await authorized((headers) =>
        rpc.v1.users["logout-all"].$post({ header: COOKIE_DELIVERY }, { headers }),
      );
      if (response.status !== 204) throw await failure(response, "any-401");
      signedOut();
    },

    isSignedIn() {
      return tokens.get() !== null;
    },

    async me() {
      const response = await authorized((headers) => rpc.v1.users.me.$get(undefined, { headers }));
      if (response.status !== 200) throw await failure(response, "any-401");
      return response.json();
    },

    async updateMe(update) {
      const response = await authorized((headers) => rpc.v1.users.me.$patch({ json: update }, { headers }));
      // A wrong current password is a 401 too, and must not end the session.
      if (response.status !== 200) throw await failure(response, "token-problems-only");
      return response.json();
    },

    async changePassword(change) {
      const response = await authorized((headers) =>
        rpc.v1.users.me.password.$post({ json: change }, { headers }),
      );
      // A 401 here may be the wrong current password, which must not end the session.
      if (response.status !== 204) throw await failure(response, "token-problems-only");
    },

    async deleteMe() {
      const response = await authorized((headers) => rpc.v1.users.me.$delete(undefined, { headers }));
      if (response.status !== 204) throw await failure(response, "any-401");
      // The account's sessions are gone with it; signing out only clears the now useless cookie.
      await this.signOut();
    },

    async mfaStatus() {
      const response = await authorized((headers) => rpc.v1.users.me.mfa.$get(undefined, { headers }));
      if (response.status !== 200) throw await failure(response, "any-401");
      return response.json();
    },

    async setupTotp(currentPassword) {
      const response = await authorized((headers) =>
        rpc.v1.users.me.mfa.totp.setup.$post({ json: { current_password: currentPassword } }, { headers }),
      );
      // A wrong current password is a 401 too, and must not end the session.
      if (response.status !== 200) throw await failure(response, "token-problems-only");
      return response.json();
    },

    async confirmTotp(code) {
      const response = await authorized((headers) =>
        rpc.v1.users.me.mfa.totp.confirm.$post({ json: { code } }, { headers }),
      );
      if (response.status !== 200) throw await failure(response, "any-401");
      return (await response.json()).recovery_codes;
    },

    async disableTotp(currentPassword) {
      const response = await authorized((headers) =>
        rpc.v1.users.me.mfa.totp.disable.$post({ json: { current_password: currentPassword } }, { headers }),
      );
      if (response.status !== 204) throw await failure(response, "token-problems-only");
    },

    async regenerateRecoveryCodes(currentPassword) {
      const response = await authorized((headers) =>
        rpc.v1.users.me.mfa["recovery-codes"].$post(
          { json: { current_password: currentPassword } },
          { headers },
        ),
      );
      if (response.status !== 200) throw await failure(response, "token-problems-only");
      return (await response.json()).recovery_codes;
    },

    async passkeyRegistrationOptions() {
      const response = await authorized((headers) =>
        rpc.v1.users.me.passkeys.options.$post(undefined, { headers }),
      );
      if (response.status !== 200) throw await failure(response, "any-401");
      return (await response.json()) as unknown as PublicKeyCredentialCreationOptionsJSON;
    },

    async addPasskey(registration, name) {
      const json = {
        response: registration as PasskeyRegistrationBody["response"],
        ...(name === undefined ? {} : { name }),
      };
      const response = await authorized((headers) => rpc.v1.users.me.passkeys.$post({ json }, { headers }));
      if (response.status !== 201) throw await failure(response, "any-401");
      return response.json();
    },

    async listPasskeys() {
      const response = await authorized((headers) => rpc.v1.users.me.passkeys.$get(undefined, { headers }));
      if (response.status !== 200) throw await failure(response, "any-401");
      return response.json();
    },

    async renamePasskey(id, name) {
      const response = await authorized((headers) =>
        rpc.v1.users.me.passkeys[":id"].$patch({ param: { id }, json: { name } }, { headers }),
      );
      if (response.status !== 200) throw await failure(response, "any-401");
      return response.json();
    },

    async removePasskey(id) {
      const response = await authorized((headers) =>
        rpc.v1.users.me.passkeys[":id"].$delete({ param: { id } }, { headers }),
      );
      if (response.status !== 204) throw await failure(response, "any-401");
    },

    async listUsers({ limit, offset }, filters = {}) {
      const response = await authorized((headers) =>
        rpc.v1.users.$get({ query: { ...filters, limit: `${limit}`, offset: `${offset}` } }, { headers }),
      );
      if (response.status !== 200) throw await failure(response, "any-401");
      return response.json();
    },

    async updateUser(id, update) {
      const response = await authorized((headers) =>
        rpc.v1.users[":id"].$patch({ param: { id }, json: update }, { headers }),
      );
      if (response.status !== 200) throw await failure(response, "any-401");
      return response.json();
    },

    async deleteUser(id) {
      const response = await authorized((headers) =>
        rpc.v1.users[":id"].$delete({ param: { id } }, { headers }),
      );
      if (response.status !== 204) throw await failure(response, "any-401");
    },

    async removeUserMfa(id) {
      const response = await authorized((headers) =>
        rpc.v1.users[":id"].mfa.$delete({ param: { id } }, { headers }),
      );
      if (response.status !== 204) throw await failure(response, "any-401");
    },

    async getUser(id) {
      const response = await authorized((headers) =>
        rpc.v1.users[":id"].$get({ param: { id } }, { headers }),
      );
      if (response.status !== 200) throw await failure(response, "any-401");
      return response.json();
    },

    async listMySessions() {
      const response = await authorized((headers) => rpc.v1.users.me.sessions.$get(undefined, { headers }));
      if (response.status !== 200) throw await failure(response, "any-401");
      return (await response.json()).items;
    },

    async revokeMySession(id) {
      const response = await authorized((headers) =>
        rpc.v1.users.me.sessions[":id"].$delete({ param: { id } }, { headers }),
      );
      if (response.status !== 204) throw await failure(response, "any-401");
    },

    async listMyEvents({ limit, cursor }) {
      const response = await authorized((headers) =>
        rpc.v1.users.me.events.$get(
          { query: { limit: `${limit}`, ...(cursor === undefined ? {} : { cursor }) } },
          { headers },
        ),
      );
      if (response.status !== 200) throw await failure(response, "any-401");
      return response.json();
    },

    async listUserSessions(userId) {
      const response = await authorized((headers) =>
        rpc.v1.users[":id"].sessions.$get({ param: { id: userId } }, { headers }),
      );
      if (response.status !== 200) throw await failure(response, "any-401");
      return (await response.json()).items;
    },

    async revokeUserSession(userId, sessionId) {
      const response = await authorized((headers) =>
        rpc.v1.users[":id"].sessions[":sid"].$delete({ param: { id: userId, sid: sessionId } }, { headers }),
      );
      if (response.status !== 204) throw await failure(response, "any-401");
    },

    async listAuditEvents(filter, { limit, cursor }) {
      const query = {
        limit: `${limit}`,
        ...(cursor === undefined ? {} : { cursor }),
        ...(filter.user_id ? { user_id: filter.user_id } : {}),
        ...(filter.type ? { type: filter.type } : {}),
        ...(filter.since ? { since: filter.since } : {}),
        ...(filter.until ? { until: filter.until } : {}),
      };
      const response = await authorized((headers) => rpc.v1["audit-events"].$get({ query }, { headers }));
      if (response.status !== 200) throw await failure(response, "any-401");
      return response.json();
    },

    async requestPasswordReset(email) {
      const response = await send(() => rpc.v1.users["password-reset"].$post({ json: { email } }));
      if (response.status !== 202) throw await failure(response);
    },

    async confirmPasswordReset(request) {
      const response = await send(() => rpc.v1.users["password-reset"].confirm.$post({ json: request }));
      if (response.status !== 204) throw await failure(response);
    },

    passwordPolicy: loadPasswordPolicy,

    async verifyEmail(token) {
      const response = await send(() => rpc.v1.users["verify-email"].$post({ json: { token } }));
      if (response.status !== 204) throw await failure(response);
    },

    async resendVerification() {
      const response = await authorized((headers) =>
        rpc.v1.users["verify-email"].resend.$post({ json: {} }, { headers }),
      );
      if (response.status !== 202) throw await failure(response, "any-401");
    },

    async resendVerificationTo(email) {
      const response = await send(() => rpc.v1.users["verify-email"].resend.$post({ json: { email } }));
      if (response.status !== 202) throw await failure(response);
    },

    async identityProviders() {
      const response = await send(() => rpc.v1.auth.providers.$get()).catch(() => undefined);
      if (response?.status !== 200) return [];
      return (await response.json()).items;
    },

    providerSignInUrl(provider, returnTo) {
      return `/v1/auth/${encodeURIComponent(provider)}/authorize?${new URLSearchParams({ return_to: returnTo })}`;
    },

    async signInWithLoginCode(code) {
      const response = await send(() =>
        rpc.v1.auth.exchange.$post({ json: { code }, header: COOKIE_DELIVERY }),
      );
      if (response.status !== 200) {
        const body = await readJson(response);
        const challenge = readMfaChallenge(response.status, body);
        if (challenge) return { kind: "mfa-required", challenge };
        throw problemFrom(response, body);
      }
      const token = await response.json();
      tokens.set(token.access_token);
      return { kind: "signed-in" };
    },

    async listIdentities() {
      const response = await authorized((headers) => rpc.v1.users.me.identities.$get(undefined, { headers }));
      if (response.status !== 200) throw await failure(response, "any-401");
      return (await response.json()).items;
    },

    async linkIdentityUrl(provider) {
      const response = await authorized((headers) =>
        rpc.v1.auth[":provider"]["link-ticket"].$post({ param: { provider } }, { headers }),
      );
      if (response.status !== 200) throw await failure(response, "any-401");
      return (await response.json()).authorize_url;
    },

    async unlinkIdentity(id) {
      const response = await authorized((headers) =>
        rpc.v1.users.me.identities[":id"].$delete({ param: { id } }, { headers }),
      );
      if (response.status !== 204) throw await failure(response, "any-401");
    },
  };
}
