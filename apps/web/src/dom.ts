/**
 * A tiny element builder. Text always goes in as text nodes (never through innerHTML), so nothing the
 * API returns can become markup, and nothing here needs an inline style or script (the CSP forbids both).
 */

type Child = Node | string | false | null | undefined;
type Attributes = Record<string, string | boolean | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? "" : value);
  }
  append(element, ...children);
  return element;
}

export function append(parent: Element, ...children: Child[]): void {
  for (const child of children) {
    if (child === false || child === null || child === undefined) continue;
    parent.append(child);
  }
}

/** A client-side link: the router intercepts clicks on `a[data-link]`. */
export function link(href: string, text: string, attributes: Attributes = {}): HTMLAnchorElement {
  return h("a", { href, "data-link": true, ...attributes }, text);
}

let idCounter = 0;
/** Unique ids for label/aria wiring; readable prefixes make the DOM easy to inspect. */
export function uniqueId(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}
