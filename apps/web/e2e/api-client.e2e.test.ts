/**
 * api-client.ts in Node against the real server: the typed calls, the problem+json → ApiError
 * translation, and the session rule (a refused token clears the store and calls onSessionExpired).
 */
import { describe, expect, inject, it } from "vitest";
import { createApiClient, type TokenStore } from "../src/api-client.js";
import { ApiError } from "../src/api-error.js";
import { registerViaApi, uniqueEmail } from "./support/fixtures.js";

const baseUrl = inject("baseUrl");
const PASSWORD = "correct horse battery";

function memoryTokens(initial: string | null = null): TokenStore & { value: string | null } {
  return {
    value: initial,
    get() {
      return this.value;
    },
    set(token) {
      this.value = token;
    },
    clear() {
      this.value = null;
    },
  };
}

function client(tokens = memoryTokens()) {
  let expired = 0;
  const api = createApiClient({ baseUrl, tokens, onSessionExpired: () => (expired += 1) });
  return { api, tokens, expiredCount: () => expired };
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe("api-client against the real API", () => {
  it("registers, signs in (keeping the token) and reads the profile", async () => {
    const { api, tokens } = client();
    const email = uniqueEmail("client");
    const user = await api.register({ email, password: PASSWORD, full_name: "Ada" });
    expect(user).toMatchObject({ email, full_name: "Ada", is_active: true, is_superuser: false });
    expect(api.isSignedIn()).toBe(false);

    await api.signIn({ email, password: PASSWORD });
    expect(tokens.value).toMatch(/^ey/);
    expect(await api.me()).toEqual(user);

    api.signOut();
    expect(tokens.value).toBeNull();
  });

  it("turns a 422 problem into field errors", async () => {
    const { api } = client();
    const error = await failure(api.register({ email: "nope", password: "short" }));
    expect(error).toMatchObject({ status: 422, type: "/problems/validation-failed", sessionExpired: false });
    expect(Object.keys(error.fieldErrors).sort()).toEqual(["email", "password"]);
  });

  it("turns a taken email into a 409 with the API's detail", async () => {
    const { api } = client();
    const email = uniqueEmail("dup");
    await registerViaApi(baseUrl, { email, password: PASSWORD });
    const error = await failure(api.register({ email, password: PASSWORD }));
    expect(error).toMatchObject({ status: 409, detail: "A user with this email already exists." });
  });

  it("does not treat a wrong password at sign-in as an expired session", async () => {
    const { api, tokens, expiredCount } = client();
    const email = uniqueEmail("wrong");
    await registerViaApi(baseUrl, { email, password: PASSWORD });
    const error = await failure(api.signIn({ email, password: "wrong password" }));
    expect(error).toMatchObject({
      status: 401,
      detail: "Incorrect email or password.",
      sessionExpired: false,
    });
    expect(tokens.value).toBeNull();
    expect(expiredCount()).toBe(0);
  });

  it("ends the session when the API refuses the token", async () => {
    const { api, tokens, expiredCount } = client(memoryTokens("not-a-token"));
    const error = await failure(api.me());
    expect(error).toMatchObject({ status: 401, sessionExpired: true });
    expect(tokens.value).toBeNull();
    expect(expiredCount()).toBe(1);
  });

  it("ends the session without a request when there is no token", async () => {
    const { api, expiredCount } = client();
    const error = await failure(api.listUsers({ limit: 10, offset: 0 }));
    expect(error).toMatchObject({ status: 401, sessionExpired: true });
    expect(expiredCount()).toBe(1);
  });

  it("reports an unreachable server as status 0", async () => {
    const api = createApiClient({
      baseUrl: "http://127.0.0.1:9",
      tokens: memoryTokens(),
      onSessionExpired: () => undefined,
    });
    const error = await failure(api.signIn({ email: "a@example.com", password: PASSWORD }));
    expect(error.status).toBe(0);
  });
});
