/**
 * The in-process test harness, imported as `#test-support` by the tests that sit beside their code in
 * `src/` (the server-process helpers stay with the suites in `test/` that start real processes).
 */
export { expectProblem, type ProblemBody } from "./problem.js";
export { closedPort, startSmtpServer } from "./smtp-server.js";
export {
  captureLogs,
  createTestApp,
  GENEROUS_RATE_LIMITS,
  type MailOptions,
  TEST_SECRET,
  type TestApp,
  type TokenBody,
} from "./test-app.js";
