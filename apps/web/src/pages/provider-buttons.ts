/**
 * "Sign in with …" buttons for the identity providers the API offers; nothing at all when it offers
 * none. Each is a plain link: the provider's sign-in is a top-level navigation, and the API sets the
 * flow's cookie on the way.
 */
import type { ApiClient } from "../api-client.js";
import { h } from "../dom.js";

export function providerButtons(api: ApiClient): HTMLElement {
  const area = h("div", { class: "provider-options" });
  area.hidden = true;
  void api.identityProviders().then((providers) => {
    if (providers.length === 0) return;
    area.append(
      h("p", { class: "divider" }, h("span", {}, "or")),
      ...providers.map((provider) =>
        h(
          "a",
          {
            class: "button provider-button",
            href: api.providerSignInUrl(provider.id, "/profile"),
            "data-provider": provider.id,
          },
          `Sign in with ${provider.name}`,
        ),
      ),
    );
    area.hidden = false;
  });
  return area;
}
