/**
 * The framework ceiling: a bare Hono app answering `GET /health` with the server's JSON body, on the
 * runtime under test and with as many processes (node:cluster; Bun implements it too, with `reusePort`).
 * Nothing of the service is loaded (no middleware, no database, no logger), so the API's rate ÷ this
 * rate is what the service's own code costs. Started by the bench with PORT and WORKERS set.
 */
import cluster from "node:cluster";
import { serve } from "@hono/node-server";
import { Hono } from "hono";

declare const Bun:
  | {
      serve(options: {
        fetch: (request: Request) => Response | Promise<Response>;
        port: number;
        hostname: string;
        reusePort?: boolean;
      }): unknown;
    }
  | undefined;

// biome-ignore lint/style/noProcessEnv: a stand-alone process the bench configures through its environment
const env = process.env;
const port = Number(env["PORT"]);
const workers = Number(env["WORKERS"] ?? "1");

if (workers > 1 && cluster.isPrimary) {
  for (let index = 0; index < workers; index++) cluster.fork();
  process.once("SIGTERM", () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill("SIGTERM");
    process.exit(0);
  });
} else {
  const app = new Hono();
  app.get("/health", (c) => c.json({ status: "ok" }, 200));
  if (typeof Bun !== "undefined") {
    Bun.serve({ fetch: app.fetch, port, hostname: "127.0.0.1", reusePort: cluster.isWorker });
  } else {
    serve({ fetch: app.fetch, port, hostname: "127.0.0.1" });
  }
  process.once("SIGTERM", () => process.exit(0));
}
