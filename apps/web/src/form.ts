/**
 * One accessible form, used by every page: labels tied to inputs, each field's error linked through
 * aria-describedby and aria-invalid, a polite live region for form-level messages, inline validation on
 * blur, and a submit button that is disabled and says "Saving…" while the request runs.
 */
import { ApiError } from "./api-error.js";
import { h } from "./dom.js";
import { type FormFeedback, type MappingOptions, mapApiError } from "./error-mapping.js";
import type { FieldErrors } from "./validation.js";

export interface FieldSpec {
  /** The API's name for the field; errors from the API are matched on it. */
  name: string;
  label: string;
  type?: "text" | "email" | "password";
  autocomplete?: string;
  value?: string;
  hint?: string;
  required?: boolean;
  /** Shown at the end of the label's row, e.g. a "Forgot password?" link. */
  labelAside?: Node;
}

export interface FormSpec<V extends Record<string, string>> {
  id: string;
  fields: readonly FieldSpec[];
  submitLabel: string;
  busyLabel?: string;
  submitClass?: string;
  /** Checks all values; returns field name → message. */
  validate?: (values: V) => FieldErrors;
  /** How API errors map onto this form (the field list defaults to the form's fields). */
  errors?: Omit<MappingOptions, "fields">;
  onSubmit: (values: V) => Promise<void>;
  /** Extra content after the submit button (e.g. a cancel link). */
  footer?: Node;
  /** Fields emptied when the API refuses the form (a wrong password is not left to be sent again). */
  clearOnError?: readonly string[];
}

export interface BuiltForm {
  element: HTMLFormElement;
  showFeedback(feedback: FormFeedback): void;
  /** A polite confirmation after a successful save. */
  showSuccess(message: string): void;
  input(name: string): HTMLInputElement;
}

export function buildForm<V extends Record<string, string>>(spec: FormSpec<V>): BuiltForm {
  // In the DOM (empty) from the start: a live region only speaks about changes it was there to see.
  const formError = h("div", {
    class: "form-error",
    id: `${spec.id}-error`,
    "aria-live": "polite",
    tabindex: "-1",
  });
  const formSuccess = h("div", { class: "form-success", "aria-live": "polite" });
  const inputs = new Map<string, HTMLInputElement>();
  const fieldErrors = new Map<string, HTMLElement>();
  const touched = new Set<string>();

  const submit = h(
    "button",
    { type: "submit", class: spec.submitClass ?? "button button-primary" },
    spec.submitLabel,
  );
  const form = h("form", { id: spec.id, class: "form", novalidate: true }, formError, formSuccess);

  for (const field of spec.fields) {
    const inputId = `${spec.id}-${field.name}`;
    const errorId = `${inputId}-error`;
    const hintId = `${inputId}-hint`;
    const input = h("input", {
      id: inputId,
      name: field.name,
      type: field.type ?? "text",
      autocomplete: field.autocomplete,
      required: field.required !== false,
      "aria-describedby": [field.hint ? hintId : undefined, errorId].filter(Boolean).join(" "),
      spellcheck: field.type === "email" || field.type === "password" ? "false" : undefined,
      autocapitalize: field.type === "email" ? "off" : undefined,
    });
    input.value = field.value ?? "";
    const error = h("p", { class: "field-error", id: errorId });
    inputs.set(field.name, input);
    fieldErrors.set(field.name, error);
    const label = h(
      "label",
      { for: inputId },
      field.label,
      field.required === false ? h("span", { class: "optional" }, " (optional)") : null,
    );
    form.append(
      // The aside comes last so Tab reaches the input first; the grid shows it beside the label.
      h(
        "div",
        { class: field.labelAside ? "field has-aside" : "field" },
        label,
        field.hint ? h("p", { class: "field-hint", id: hintId }, field.hint) : null,
        field.type === "password" ? withPasswordToggle(input, form) : input,
        error,
        field.labelAside ? h("div", { class: "field-aside" }, field.labelAside) : null,
      ),
    );

    input.addEventListener("blur", () => {
      if (input.value !== "") touched.add(field.name);
      if (touched.has(field.name)) validateOne(field.name);
    });
    input.addEventListener("input", () => {
      if (input.getAttribute("aria-invalid") === "true") validateOne(field.name);
    });
  }

  form.append(h("div", { class: "form-actions" }, submit, spec.footer ?? null));

  function values(): V {
    return Object.fromEntries([...inputs].map(([name, input]) => [name, input.value])) as V;
  }

  function setFieldError(name: string, message: string | undefined): void {
    const input = inputs.get(name);
    const error = fieldErrors.get(name);
    if (!input || !error) return;
    error.textContent = message ?? "";
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  function validateOne(name: string): void {
    const errors = spec.validate?.(values()) ?? {};
    setFieldError(name, errors[name]);
  }

  function showFeedback(feedback: FormFeedback, refocus: HTMLElement | undefined = undefined): void {
    for (const name of inputs.keys()) setFieldError(name, feedback.fields[name]);
    formError.textContent = feedback.form ?? "";
    formError.classList.toggle("is-visible", Boolean(feedback.form));
    formSuccess.textContent = "";
    formSuccess.classList.remove("is-visible");
    const firstInvalid = [...inputs.values()].find((input) => input.getAttribute("aria-invalid") === "true");
    const target = firstInvalid ?? refocus;
    if (target) target.focus();
    else if (feedback.form && !form.contains(document.activeElement)) formError.focus();
  }

  let busy = false;
  function setBusy(value: boolean): void {
    busy = value;
    submit.disabled = value;
    submit.textContent = value ? (spec.busyLabel ?? "Saving…") : spec.submitLabel;
    form.setAttribute("aria-busy", String(value));
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (busy) return;
    const current = values();
    for (const name of inputs.keys()) touched.add(name);
    const errors = spec.validate?.(current) ?? {};
    if (Object.keys(errors).length > 0) {
      showFeedback({ fields: errors as Record<string, string>, form: "Please fix the highlighted fields." });
      return;
    }
    showFeedback({ fields: {}, form: undefined });
    setBusy(true);
    spec
      .onSubmit(current)
      .catch((error: unknown) => {
        // The client has already sent the person to sign-in; this form is gone.
        if (error instanceof ApiError && error.sessionExpired) return;
        const cleared = (spec.clearOnError ?? []).flatMap((name) => inputs.get(name) ?? []);
        for (const input of cleared) {
          input.value = "";
          // Emptied by us, not by the person: leaving it must not raise "enter your password" (and shift the page).
          touched.delete(input.name);
        }
        // Re-enabled first: the disabled button dropped the focus, and it must land somewhere useful.
        setBusy(false);
        showFeedback(feedbackFor(error, { fields: [...inputs.keys()], ...spec.errors }), cleared[0]);
      })
      .finally(() => setBusy(false));
  });

  return {
    element: form,
    showFeedback,
    showSuccess(message) {
      formSuccess.textContent = message;
      formSuccess.classList.add("is-visible");
    },
    input(name) {
      const input = inputs.get(name);
      if (!input) throw new Error(`no field ${name}`);
      return input;
    },
  };
}

/** A password input with a "Show" button beside it, for checking what was typed. */
function withPasswordToggle(input: HTMLInputElement, form: HTMLFormElement): HTMLElement {
  const word = h("span", {}, "Show");
  const toggle = h(
    "button",
    { type: "button", class: "password-toggle", "aria-controls": input.id },
    word,
    h("span", { class: "visually-hidden" }, " password"),
  );
  toggle.addEventListener("click", () => {
    const show = input.type === "password";
    input.type = show ? "text" : "password";
    word.textContent = show ? "Hide" : "Show";
  });
  // Submitting hides it again, so a password manager saves it and nobody reads it over a shoulder later.
  form.addEventListener("submit", () => {
    input.type = "password";
    word.textContent = "Show";
  });
  return h("div", { class: "password-input" }, input, toggle);
}

/** Any error becomes something to show: an ApiError through the mapping, anything else as a generic message. */
export function feedbackFor(error: unknown, options: MappingOptions): FormFeedback {
  if (error instanceof ApiError) return mapApiError(error, options);
  return { fields: {}, form: "Something unexpected went wrong. Please reload the page and try again." };
}
