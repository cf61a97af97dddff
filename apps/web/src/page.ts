import type { ApiClient, User } from "./api-client.js";

export interface Flash {
  kind: "info" | "success" | "warning";
  text: string;
}

export interface NavigateOptions {
  replace?: boolean;
  /** A message shown once at the top of the next page. */
  flash?: Flash;
  /** An email to pre-fill on the next page (kept in memory, never in the URL). */
  email?: string;
}

export interface PageContext {
  api: ApiClient;
  /** The signed-in user, loaded by the shell before a page that needs one renders. */
  user: User | undefined;
  /** Values taken from the path, e.g. `{ id }` for `/users/{id}`. */
  params: Record<string, string>;
  /** The query string of the current location. */
  query: URLSearchParams;
  /** Email handed over from the previous page, if any. */
  email: string | undefined;
  navigate(path: string, options?: NavigateOptions): void;
  /** Replaces the cached user (after an edit) and refreshes the navigation. */
  setUser(user: User | undefined): void;
}

export interface PageView {
  title: string;
  content: Node;
}

export type Page = (context: PageContext) => PageView | Promise<PageView>;
