import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { describe, expect, it } from "vitest";
import { captureLogs } from "../../test/support/test-app.js";
import type { AppEnv } from "../app-env.js";
import { createLogger } from "../logger.js";
import { requestLog } from "./request-log.js";

function appLoggingAt(logLevel: "info" | "warn") {
  const logs = captureLogs();
  const logger = createLogger({ env: "test", logLevel }, logs.stream);
  let children = 0;
  const child = logger.child.bind(logger);
  logger.child = ((...args: Parameters<typeof logger.child>) => {
    children += 1;
    return child(...args);
  }) as typeof logger.child;
  const app = new Hono<AppEnv>()
    .use(requestId())
    .use(requestLog({ logger }))
    .get("/quiet", (c) => c.text("ok"))
    .get("/warns", (c) => {
      c.var.logger.warn({ token: "secret-token-value" }, "something odd");
      c.var.logger.debug("below the level");
      return c.text("ok");
    });
  return { app, logs, children: () => children };
}

const parsed = (lines: string[]) => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

describe("requestLog", () => {
  it("binds the request id to what a handler logs, with redaction, and writes the access line at info", async () => {
    const { app, logs } = appLoggingAt("info");
    const response = await app.request("/warns", { headers: { "X-Request-Id": "req-123" } });
    expect(response.status).toBe(200);
    const [warning, access] = parsed(logs.lines);
    expect(warning).toMatchObject({
      level: 40,
      msg: "something odd",
      requestId: "req-123",
      token: "[redacted]",
    });
    expect(access).toMatchObject({
      level: 30,
      msg: "request",
      requestId: "req-123",
      route: "/warns",
      status: 200,
    });
    expect(logs.lines).toHaveLength(2);
  });

  it("makes no child logger for a request that logs nothing at the configured level", async () => {
    const { app, logs, children } = appLoggingAt("warn");
    for (let i = 0; i < 3; i++) expect((await app.request("/quiet")).status).toBe(200);
    expect(children()).toBe(0);
    expect(logs.lines).toEqual([]);

    expect((await app.request("/warns", { headers: { "X-Request-Id": "req-456" } })).status).toBe(200);
    expect(children()).toBe(1);
    expect(parsed(logs.lines)).toEqual([
      expect.objectContaining({ msg: "something odd", requestId: "req-456" }),
    ]);
  });
});
