/**
 * The shell: builds the API client, keeps the signed-in user, routes with the History API and renders one
 * page at a time into <main>. Pages are plain functions returning DOM nodes; nothing here uses innerHTML.
 */
import { createApiClient, type User } from "./api-client.js";
import { ApiError } from "./api-error.js";
import { h, link } from "./dom.js";
import { feedbackFor } from "./form.js";
import type { Flash, NavigateOptions, Page, PageContext } from "./page.js";
import { adminUserPage } from "./pages/admin-user.js";
import { auditLogPage } from "./pages/audit-log.js";
import { changePasswordPage } from "./pages/change-password.js";
import { deleteAccountPage } from "./pages/delete-account.js";
import { forgotPasswordPage } from "./pages/forgot-password.js";
import { forbiddenPage, notFoundPage } from "./pages/not-found.js";
import { oidcCallbackPage } from "./pages/oidc-callback.js";
import { profilePage } from "./pages/profile.js";
import { registerPage } from "./pages/register.js";
import { resetPasswordPage } from "./pages/reset-password.js";
import { signInPage } from "./pages/sign-in.js";
import { usersPage } from "./pages/users.js";
import { verifyEmailPage } from "./pages/verify-email.js";
import { matchPath } from "./path-params.js";
import { returnPathFrom, signInPath } from "./return-to.js";
import { createMemoryTokenStore } from "./session.js";

/** guest: signed-out only; public: anyone (links from emails); user/superuser: signed-in. */
type Access = "guest" | "public" | "user" | "superuser";

const ROUTES: Record<string, { page: Page; access: Access }> = {
  "/sign-in": { page: signInPage, access: "guest" },
  "/register": { page: registerPage, access: "guest" },
  "/forgot-password": { page: forgotPasswordPage, access: "guest" },
  "/reset-password": { page: resetPasswordPage, access: "public" },
  "/verify-email": { page: verifyEmailPage, access: "public" },
  "/oidc-callback": { page: oidcCallbackPage, access: "public" },
  "/profile": { page: profilePage, access: "user" },
  "/password": { page: changePasswordPage, access: "user" },
  "/delete-account": { page: deleteAccountPage, access: "user" },
  "/users": { page: usersPage, access: "superuser" },
  "/audit-log": { page: auditLogPage, access: "superuser" },
};

/** Routes with a value in the path, tried in order after the fixed ones. */
const PATTERN_ROUTES: { pattern: string; page: Page; access: Access }[] = [
  { pattern: "/users/:id", page: adminUserPage, access: "superuser" },
];

function matchRoute(
  pathname: string,
): { page: Page; access: Access; params: Record<string, string> } | undefined {
  const fixed = ROUTES[pathname];
  if (fixed) return { ...fixed, params: {} };
  for (const route of PATTERN_ROUTES) {
    const params = matchPath(route.pattern, pathname);
    if (params) return { page: route.page, access: route.access, params };
  }
  return undefined;
}

const SESSION_EXPIRED: Flash = { kind: "warning", text: "Your session has expired, please sign in again." };
const ACCOUNT_DEACTIVATED: Flash = {
  kind: "warning",
  text: "Your account has been deactivated. Contact an administrator if you think this is a mistake.",
};

const main = requireElement("main");
const nav = requireElement("site-nav");
const announcer = requireElement("announcer");

let currentUser: User | undefined;
let pending: { flash?: Flash; email?: string } = {};
let renderCount = 0;

const tokens = createMemoryTokenStore();
/** This browser held a session before the load; if renewing it fails, it has expired. */
const hadSession = tokens.mayHaveSession();
const api = createApiClient({
  baseUrl: window.location.origin,
  tokens,
  onSessionExpired: (error) => {
    currentUser = undefined;
    if (error.type === "/problems/account-deactivated") {
      navigate("/sign-in", { replace: true, flash: ACCOUNT_DEACTIVATED });
      return;
    }
    // Back to this page once signed in again.
    const { pathname, search } = window.location;
    navigate(signInPath(pathname + search), { replace: true, flash: SESSION_EXPIRED });
  },
});

// Renew on load: the access token lives in memory, so a new tab, a reload or a link from a mail starts
// without one and gets it through the session cookie before the first page decides who is signed in.
let expiredOnLoad = false;
const sessionRestored = api
  .restoreSession()
  .catch(() => false)
  .then((restored) => {
    expiredOnLoad = hadSession && !restored;
    return restored;
  });

function navigate(path: string, options: NavigateOptions = {}): void {
  pending = {
    ...(options.flash ? { flash: options.flash } : {}),
    ...(options.email ? { email: options.email } : {}),
  };
  if (options.replace) window.history.replaceState(null, "", path);
  else window.history.pushState(null, "", path);
  void render();
}

async function signOut(): Promise<void> {
  await api.signOut();
  currentUser = undefined;
  navigate("/sign-in", { flash: { kind: "info", text: "You have signed out." } });
}

async function render(): Promise<void> {
  const ticket = ++renderCount;
  main.setAttribute("aria-busy", "true");
  await sessionRestored;
  main.removeAttribute("aria-busy");
  if (ticket !== renderCount) return;
  const { pathname, search } = window.location;
  const handover = pending;
  pending = {};
  // Told once, on the first page that needs the session.
  const expired = expiredOnLoad;
  expiredOnLoad = false;

  if (pathname === "/" || pathname === "/sign-out") {
    if (pathname === "/sign-out" && api.isSignedIn()) return signOut();
    return navigate(api.isSignedIn() ? "/profile" : "/sign-in", { replace: true, ...handover });
  }
  const route = matchRoute(pathname);
  if (route?.access === "guest" && api.isSignedIn()) {
    return navigate(returnPathFrom(new URLSearchParams(search)), { replace: true });
  }
  // Signing in, registering and the links from emails get a focused card without the site navigation.
  const layout = route?.access === "guest" || route?.access === "public" ? "auth" : "app";
  if (route && route.access !== "guest" && route.access !== "public") {
    if (!api.isSignedIn()) {
      return navigate(signInPath(pathname + search), {
        replace: true,
        flash:
          handover.flash ??
          (expired ? SESSION_EXPIRED : { kind: "info", text: "Please sign in to continue." }),
      });
    }
    if (!currentUser) {
      showLoading(layout);
      try {
        currentUser = await api.me();
      } catch (error) {
        if (ticket === renderCount) showError(error);
        return;
      } finally {
        main.removeAttribute("aria-busy");
      }
      if (ticket !== renderCount) return;
    }
  }
  renderNav();

  const page = !route
    ? notFoundPage
    : route.access === "superuser" && !currentUser?.is_superuser
      ? forbiddenPage
      : route.page;
  const context: PageContext = {
    api,
    user: currentUser,
    params: route?.params ?? {},
    query: new URLSearchParams(search),
    email: handover.email,
    navigate,
    setUser(user) {
      currentUser = user;
      renderNav();
    },
  };
  try {
    const viewOrPromise = page(context);
    // The previous page must not stay on screen (and clickable) under the new address while this one loads.
    if (viewOrPromise instanceof Promise) showLoading(layout);
    const view = await viewOrPromise;
    if (ticket !== renderCount) return;
    document.title = `${view.title} · Accounts`;
    document.body.dataset["layout"] = layout;
    main.removeAttribute("aria-busy");
    main.replaceChildren(
      ...(layout === "auth" ? [authBrand()] : []),
      ...(handover.flash ? [flashElement(handover.flash)] : []),
      view.content,
    );
    main.dataset["path"] = pathname;
    announce(handover.flash?.text);
    // Move focus to the new page's heading so screen readers and keyboard users start at the top.
    main.querySelector<HTMLElement>("h1")?.focus();
    markCurrentLink(pathname);
  } catch (error) {
    if (ticket === renderCount) showError(error);
  }
}

function showError(error: unknown): void {
  if (error instanceof ApiError && error.sessionExpired) return;
  document.title = "Something went wrong · Accounts";
  document.body.dataset["layout"] = "app";
  main.removeAttribute("aria-busy");
  const message = feedbackFor(error, { fields: [] }).form ?? "Something went wrong.";
  const retry = h("button", { type: "button", class: "button button-primary" }, "Try again");
  retry.addEventListener("click", () => void render());
  // The profile may be what failed to load, so the navigation may be empty: signing out stays possible here.
  const signOutButton = h("button", { type: "button", class: "button" }, "Sign out");
  signOutButton.addEventListener("click", () => void signOut());
  main.dataset["path"] = window.location.pathname;
  main.replaceChildren(
    h(
      "section",
      { class: "card" },
      h("h1", { tabindex: "-1" }, "This page could not be loaded"),
      h("p", { class: "form-error is-visible", role: "alert" }, message),
      h("div", { class: "form-actions" }, retry, api.isSignedIn() ? signOutButton : null),
    ),
  );
  main.querySelector<HTMLElement>("h1")?.focus();
}

/** Shown at once while a page loads; the spinner itself fades in late, so a quick page never flickers. */
function showLoading(layout: "auth" | "app"): void {
  document.body.dataset["layout"] = layout;
  delete main.dataset["path"];
  main.setAttribute("aria-busy", "true");
  main.replaceChildren(loadingIndicator());
}

function loadingIndicator(): HTMLElement {
  return h(
    "div",
    { class: "page-loading" },
    h("span", { class: "spinner", "aria-hidden": "true" }),
    // The page's heading until the page arrives: the document always has one.
    h("h1", {}, "Loading…"),
  );
}

function authBrand(): HTMLElement {
  return h(
    "a",
    { class: "auth-brand", href: "/", "data-link": true },
    h("span", { class: "brand-mark", "aria-hidden": "true" }),
    "Accounts",
  );
}

/** The visible flash is built with the page; the live region that speaks it has been there all along. */
function flashElement(flash: Flash): HTMLElement {
  return h("div", { class: `flash flash-${flash.kind}` }, flash.text);
}

function announce(text: string | undefined): void {
  announcer.textContent = "";
  if (!text) return;
  // A moment later, so screen readers see a change rather than a region that arrived full.
  window.setTimeout(() => {
    announcer.textContent = text;
  }, 100);
}

function renderNav(): void {
  if (!api.isSignedIn()) {
    nav.replaceChildren(
      link("/sign-in", "Sign in"),
      link("/register", "Create account", { class: "nav-cta" }),
    );
    return;
  }
  const signOutButton = h("button", { type: "button", class: "nav-button" }, "Sign out");
  signOutButton.addEventListener("click", () => void signOut());
  nav.replaceChildren(
    link("/profile", "Profile"),
    link("/password", "Password"),
    ...(currentUser?.is_superuser ? [link("/users", "Users"), link("/audit-log", "Audit log")] : []),
    signOutButton,
  );
  // Rebuilt after a save too: the current page keeps its highlight.
  markCurrentLink(window.location.pathname);
}

function markCurrentLink(pathname: string): void {
  for (const anchor of nav.querySelectorAll("a")) {
    if (anchor.getAttribute("href") === pathname) anchor.setAttribute("aria-current", "page");
    else anchor.removeAttribute("aria-current");
  }
}

function requireElement(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`index.html lacks #${id}`);
  return element;
}

document.addEventListener("click", (event) => {
  if (
    event.defaultPrevented ||
    event.button !== 0 ||
    event.metaKey ||
    event.ctrlKey ||
    event.shiftKey ||
    event.altKey
  ) {
    return;
  }
  const anchor =
    event.target instanceof Element ? event.target.closest<HTMLAnchorElement>("a[data-link]") : null;
  if (!anchor || anchor.origin !== window.location.origin) return;
  event.preventDefault();
  navigate(anchor.pathname + anchor.search);
});
window.addEventListener("popstate", () => void render());

void render();
