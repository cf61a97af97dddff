/**
 * The profile's "Sign-in providers" card: the identity providers linked to the account, linking another
 * (a top-level trip to the provider, with a single-use ticket from the API) and unlinking one. The API
 * refuses to unlink the account's last way to sign in, and says why.
 */
import type { ApiClient, IdentityProvider, LinkedIdentity } from "../api-client.js";
import { ApiError } from "../api-error.js";
import { formatDate, h } from "../dom.js";
import { feedbackFor } from "../form.js";

export function identitiesSection(api: ApiClient): HTMLElement {
  const status = h("p", { class: "status-message", role: "status", "aria-live": "polite" });
  status.hidden = true;
  const list = h("ul", { class: "passkey-list", "aria-label": "Your linked sign-in providers" });
  const linkArea = h("div", { class: "form-actions" });
  const element = h(
    "section",
    { class: "card", "aria-labelledby": "identities-heading", id: "identities" },
    h("h2", { id: "identities-heading" }, "Sign-in providers"),
    h("p", { class: "lead" }, "Accounts at other services you can sign in with."),
    status,
    list,
    linkArea,
  );
  element.hidden = true;

  function say(kind: "success" | "error", text: string | undefined): void {
    status.hidden = !text;
    status.className = `status-message is-${kind}`;
    status.textContent = text ?? "";
  }
  function fail(error: unknown): void {
    if (error instanceof ApiError && error.sessionExpired) return;
    say("error", feedbackFor(error, { fields: [] }).form);
  }

  function renderItem(identity: LinkedIdentity): HTMLLIElement {
    const unlink = h(
      "button",
      { type: "button", class: "button button-small", "aria-label": `Unlink ${identity.provider_name}` },
      "Unlink",
    );
    unlink.addEventListener("click", () => {
      unlink.disabled = true;
      api
        .unlinkIdentity(identity.id)
        .then(async () => {
          await refresh();
          say("success", `${identity.provider_name} was unlinked.`);
        })
        .catch((error: unknown) => {
          unlink.disabled = false;
          fail(error);
        });
    });
    return h(
      "li",
      { class: "passkey-item", "data-provider": identity.provider },
      h(
        "div",
        {},
        h("strong", {}, identity.provider_name),
        h(
          "p",
          { class: "muted" },
          `${identity.email ?? "No email"} · linked ${formatDate(identity.created_at)}`,
        ),
      ),
      unlink,
    );
  }

  function renderLinkButtons(providers: IdentityProvider[]): void {
    linkArea.replaceChildren(
      ...providers.map((provider) => {
        const button = h(
          "button",
          { type: "button", class: "button", "data-link-provider": provider.id },
          `Link ${provider.name}`,
        );
        button.addEventListener("click", () => {
          button.disabled = true;
          api
            .linkIdentityUrl(provider.id)
            .then((url) => window.location.assign(url))
            .catch((error: unknown) => {
              button.disabled = false;
              fail(error);
            });
        });
        return button;
      }),
    );
  }

  async function refresh(): Promise<void> {
    const [providers, identities] = await Promise.all([api.identityProviders(), api.listIdentities()]);
    // Nothing to show on a service without providers and an account without identities.
    element.hidden = providers.length === 0 && identities.length === 0;
    list.replaceChildren(
      ...(identities.length === 0
        ? [h("li", { class: "muted passkey-empty" }, "No sign-in provider linked yet.")]
        : identities.map(renderItem)),
    );
    renderLinkButtons(providers);
  }

  void refresh().catch(fail);
  return element;
}
