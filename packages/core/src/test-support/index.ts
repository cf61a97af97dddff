export { createCountingHasher } from "./fake-hasher.js";
export type { TestDatabase, TestDatabaseKind } from "./test-database.js";
export {
  DEFAULT_TEST_DATABASE_URL,
  openTestDatabase,
  testDatabaseKinds,
  testDatabaseUrl,
  uniqueEmail,
  withDatabase,
} from "./test-database.js";
