export { createCountingHasher } from "./fake-hasher.js";
export { DEFAULT_TEST_DATABASE_URL, testDatabaseUrl } from "./postgres-server.js";
export type { TestDatabase, TestDatabaseKind } from "./test-database.js";
export { openTestDatabase, testDatabaseKinds, uniqueEmail, withDatabase } from "./test-database.js";
