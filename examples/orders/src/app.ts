import { type AccessTokenEnv, type TokenVerifier, verifyAccessToken } from "@app/auth";
import { Hono } from "hono";

export interface Order {
  id: string;
  item: string;
  createdAt: string;
}

/**
 * The orders API: every route needs an access token of the identity service, and `sub` (the user id)
 * decides whose orders a caller sees. Nothing here talks to the identity service but the verifier's
 * JWKS fetches.
 */
export function createOrdersApp({ verifier }: { verifier: TokenVerifier }) {
  const ordersByUser = new Map<string, Order[]>();
  const app = new Hono<AccessTokenEnv>();
  app.use("/orders", verifyAccessToken({ verifier, realm: "orders" }));
  app.get("/orders", (c) =>
    c.json({ user_id: c.var.claims.sub, items: ordersByUser.get(c.var.claims.sub) ?? [] }),
  );
  app.post("/orders", async (c) => {
    const body = (await c.req.json().catch(() => undefined)) as { item?: unknown } | undefined;
    if (typeof body?.item !== "string" || body.item.trim() === "") {
      return c.json(
        { type: "about:blank", title: "Invalid order", status: 422, detail: "item is required" },
        422,
      );
    }
    const order: Order = {
      id: crypto.randomUUID(),
      item: body.item.trim(),
      createdAt: new Date().toISOString(),
    };
    const orders = ordersByUser.get(c.var.claims.sub) ?? [];
    orders.push(order);
    ordersByUser.set(c.var.claims.sub, orders);
    return c.json(order, 201);
  });
  return app;
}
