import type { Context } from "hono";
import type { ZodError } from "zod";
import { invalidFields } from "./problem.js";

type HookResult = { success: true } | { success: false; error: ZodError; target?: string };

/** Every route's zod hook: a failure is the 422 problem with one `{path, message}` per bad field. */
export function validationHook(result: HookResult, _c: Context): undefined {
  if (result.success) return undefined;
  const errors = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join(".") || "body",
    message: issue.message,
  }));
  const where =
    result.target === "query" ? "query parameters" : result.target === "param" ? "path" : "request body";
  throw invalidFields(where, errors);
}
