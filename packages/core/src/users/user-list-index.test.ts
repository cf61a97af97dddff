/**
 * The admin search must stay an index lookup on a large table: the planner is asked, with sequential
 * scans priced out, whether the search's exact expression can use users_email_lower_pattern_idx. If the
 * index and the query drift apart (another expression, another operator class), the plan loses it.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase } from "../test-support/test-database.js";
import { listUsers } from "./user-repository.js";

describe("the email-prefix search on PostgreSQL", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase("postgres");
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("can use the text_pattern_ops index for lower(email) LIKE 'prefix%'", async () => {
    const plan = await t.database.db.transaction(async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      const result = await tx.execute(
        sql`explain select id from users where lower(email) like ${"ada%"} order by created_at, id limit 20`,
      );
      // postgres.js returns the rows as an array (this test runs on PostgreSQL only).
      return (result as unknown as { "QUERY PLAN": string }[]).map((row) => row["QUERY PLAN"]).join("\n");
    });
    expect(plan).toMatch(/users_email_lower_pattern_idx/);
    expect(plan).not.toMatch(/Seq Scan/);
  });

  it("answers the search through listUsers", async () => {
    const page = await listUsers(t.database.db, { limit: 5, offset: 0, emailPrefix: "nobody-here" });
    expect(page).toEqual({ items: [], total: 0 });
  });
});
