/** Type-only entry for Hono's RPC client (`hc<AppType>`): the web app imports this and no server code. */
import type { createApp } from "./app.js";

export type AppType = ReturnType<typeof createApp>;
