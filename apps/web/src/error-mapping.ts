/**
 * Decides where an API error is shown: next to the field it concerns, or as a message for the whole
 * form. Every error ends up somewhere: a page that renders `fields` and `form` never fails silently.
 */
import type { ApiError } from "./api-error.js";
import { formatWait, humanizeFieldMessage, OFFLINE_MESSAGE } from "./wording.js";

export interface FormFeedback {
  /** Field name → message to show under that field. */
  fields: Record<string, string>;
  /** Message for the form as a whole, if any. */
  form: string | undefined;
}

export interface MappingOptions {
  /** The fields this form shows, named as the API names them (`email`, `full_name`, `new_password`). */
  fields: readonly string[];
  /** Where a 409 Conflict belongs (e.g. `email` when the email is taken). */
  conflictField?: string;
  /** Where a 401 that is not about the session belongs (e.g. `current_password`). */
  unauthorizedField?: string;
  /** A form-level message by status, instead of the API's detail. */
  messages?: Partial<Record<number, string>>;
}

const SERVER_MESSAGE = "Something went wrong on our side. Please try again in a moment.";

export function mapApiError(error: ApiError, options: MappingOptions): FormFeedback {
  const override = options.messages?.[error.status];
  if (override !== undefined) return { fields: {}, form: override };

  const detail = error.detail || error.title;
  if (error.status === 0) return { fields: {}, form: OFFLINE_MESSAGE };
  if (error.status === 429) {
    const wait =
      error.retryAfterSeconds === undefined ? "in a moment" : `in ${formatWait(error.retryAfterSeconds)}`;
    return { fields: {}, form: `Too many attempts. Please try again ${wait}.` };
  }
  if (error.status >= 500) return { fields: {}, form: error.detail || SERVER_MESSAGE };
  if (error.status === 409 && options.conflictField !== undefined) {
    return { fields: { [options.conflictField]: sentence(detail) }, form: undefined };
  }
  if (error.status === 401 && options.unauthorizedField !== undefined && !error.sessionExpired) {
    return { fields: { [options.unauthorizedField]: sentence(detail) }, form: undefined };
  }

  const fields: Record<string, string> = {};
  const unplaced: string[] = [];
  for (const [path, message] of Object.entries(error.fieldErrors)) {
    const field = path.split(".")[0] ?? path;
    if (options.fields.includes(field)) fields[field] ??= sentence(humanizeFieldMessage(message));
    else unplaced.push(`${humanizePath(path)}: ${humanizeFieldMessage(message)}`);
  }
  if (unplaced.length > 0) return { fields, form: sentence(unplaced.join("; ")) };
  if (Object.keys(fields).length > 0) return { fields, form: undefined };
  return { fields: {}, form: sentence(detail) };
}

/** "must be at least 8 characters" → "Must be at least 8 characters." */
export function sentence(message: string): string {
  const trimmed = message.trim();
  if (trimmed === "") return trimmed;
  const capitalised = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}

function humanizePath(path: string): string {
  return path === "body" ? "request" : path.replaceAll("_", " ");
}
