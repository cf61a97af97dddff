import type { TokenStore } from "./api-client.js";

/**
 * The access and refresh tokens live in sessionStorage: they survive a reload but not closing the tab,
 * and they are not sent automatically like a cookie (so no CSRF). The price is that any script running
 * on the page can read them, which is why the CSP allows only our own scripts. See the README's "Web app"
 * section.
 */
const ACCESS_KEY = "user-management.access-token";
const REFRESH_KEY = "user-management.refresh-token";

export function createSessionTokenStore(storage: Storage = window.sessionStorage): TokenStore {
  return {
    get: () => storage.getItem(ACCESS_KEY),
    getRefresh: () => storage.getItem(REFRESH_KEY),
    set: ({ access, refresh }) => {
      storage.setItem(ACCESS_KEY, access);
      storage.setItem(REFRESH_KEY, refresh);
    },
    clear: () => {
      storage.removeItem(ACCESS_KEY);
      storage.removeItem(REFRESH_KEY);
    },
  };
}
