import type { Context } from "hono";
import type { ZodError } from "zod";
import { problemResponse } from "./problem.js";

type HookResult = { success: true } | { success: false; error: ZodError; target?: string };

/** Turns a zod failure into the 422 problem with one `{path, message}` per bad field. */
export function validationHook(result: HookResult, c: Context): Response | undefined {
  if (result.success) return undefined;
  const errors = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join(".") || "body",
    message: issue.message,
  }));
  const where =
    result.target === "query" ? "query parameters" : result.target === "param" ? "path" : "request body";
  return problemResponse(c, "VALIDATION_FAILED", `The ${where} is invalid: see errors.`, { errors });
}
