import type { TokenStore } from "./api-client.js";

/**
 * The web session: the refresh token is an HttpOnly cookie the API sets (script never sees it, so an XSS
 * bug cannot carry it away), the access token lives in this page's memory only and is renewed through
 * the cookie on load, in every new tab, and whenever the API refuses it. See the README's "Web sessions".
 *
 * What is stored is only a hint, `"1"` in localStorage, that this browser may hold the cookie: with it
 * a page load renews the session at once, without it (never signed in, signed out) it does not ask and
 * collect a 401. It carries no secret; a stale hint costs one refused renewal.
 */
const SESSION_HINT_KEY = "user-management.session-hint";

export function createMemoryTokenStore(hints: Storage | undefined = safeLocalStorage()): TokenStore {
  let access: string | null = null;
  return {
    get: () => access,
    set(token) {
      access = token;
      hints?.setItem(SESSION_HINT_KEY, "1");
    },
    clear() {
      access = null;
      hints?.removeItem(SESSION_HINT_KEY);
    },
    mayHaveSession: () => access !== null || hints?.getItem(SESSION_HINT_KEY) === "1",
  };
}

/** localStorage, unless the browser refuses it (storage disabled): the hint is an optimisation only. */
function safeLocalStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}
