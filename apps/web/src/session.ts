import type { TokenStore } from "./api-client.js";

/**
 * The access token lives in sessionStorage: it survives a reload but not closing the tab, and it is not
 * sent automatically like a cookie (so no CSRF). The price is that any script running on the page can
 * read it, which is why the CSP allows only our own scripts. See the README's "Web app" section.
 */
const TOKEN_KEY = "user-management.access-token";

export function createSessionTokenStore(storage: Storage = window.sessionStorage): TokenStore {
  return {
    get: () => storage.getItem(TOKEN_KEY),
    set: (token) => storage.setItem(TOKEN_KEY, token),
    clear: () => storage.removeItem(TOKEN_KEY),
  };
}
