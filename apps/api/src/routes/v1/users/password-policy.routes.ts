/**
 * `GET /v1/users/password-policy`: the configured rules for a new password, public, so the web app (and
 * any client) checks `PASSWORD_MIN_LENGTH` before sending instead of assuming the contract's floor of 8.
 */
import { DEFAULT_PASSWORD_POLICY, toPasswordPolicyResource } from "@app/validators";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "../../../app-env.js";
import { jsonContent } from "../../openapi-helpers.js";

const passwordPolicyRoute = createRoute({
  method: "get",
  path: "/password-policy",
  tags: ["users"],
  summary: "The rules a new password must meet",
  description:
    "Characters are Unicode code points; bytes are UTF-8, as bcrypt sees them. Passwords on the " +
    "common/breached list are refused too; that list is checked by the server only.",
  responses: {
    200: jsonContent(
      z
        .object({
          min_length: z.number().int().openapi({ description: "At least this many characters", example: 8 }),
          max_bytes: z.number().int().openapi({ description: "At most this many UTF-8 bytes", example: 72 }),
        })
        .openapi("PasswordPolicy"),
      "The password policy in force",
    ),
  },
});

export function passwordPolicyRoutes({
  passwordPolicy = DEFAULT_PASSWORD_POLICY,
}: Pick<AppDeps, "passwordPolicy">) {
  const body = toPasswordPolicyResource(passwordPolicy);
  return new OpenAPIHono<AppEnv>().openapi(passwordPolicyRoute, (c) => c.json(body, 200));
}
