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
}

export interface BuiltForm {
  element: HTMLFormElement;
  showFeedback(feedback: FormFeedback): void;
  /** A polite confirmation after a successful save. */
  showSuccess(message: string): void;
  input(name: string): HTMLInputElement;
}

export function buildForm<V extends Record<string, string>>(spec: FormSpec<V>): BuiltForm {
  const formError = h("div", { class: "form-error", id: `${spec.id}-error`, "aria-live": "polite" });
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
      required: field.required ?? false,
      "aria-describedby": [field.hint ? hintId : undefined, errorId].filter(Boolean).join(" "),
      spellcheck: field.type === "email" || field.type === "password" ? "false" : undefined,
      autocapitalize: field.type === "email" ? "off" : undefined,
    });
    input.value = field.value ?? "";
    const error = h("p", { class: "field-error", id: errorId });
    inputs.set(field.name, input);
    fieldErrors.set(field.name, error);
    form.append(
      h(
        "div",
        { class: "field" },
        h(
          "label",
          { for: inputId },
          field.label,
          field.required === false ? h("span", { class: "optional" }, " (optional)") : null,
        ),
        field.hint ? h("p", { class: "field-hint", id: hintId }, field.hint) : null,
        input,
        error,
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

  function showFeedback(feedback: FormFeedback): void {
    for (const name of inputs.keys()) setFieldError(name, feedback.fields[name]);
    formError.textContent = feedback.form ?? "";
    formError.classList.toggle("is-visible", Boolean(feedback.form));
    formSuccess.textContent = "";
    formSuccess.classList.remove("is-visible");
    const firstInvalid = [...inputs.values()].find((input) => input.getAttribute("aria-invalid") === "true");
    firstInvalid?.focus();
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
        showFeedback(feedbackFor(error, { fields: [...inputs.keys()], ...spec.errors }));
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

/** Any error becomes something to show: an ApiError through the mapping, anything else as a generic message. */
export function feedbackFor(error: unknown, options: MappingOptions): FormFeedback {
  if (error instanceof ApiError) return mapApiError(error, options);
  return { fields: {}, form: "Something unexpected went wrong. Please reload the page and try again." };
}
