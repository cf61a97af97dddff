/**
 * `pnpm users:create-superuser [--email E] [--password P | --password-stdin]`: creates a superuser
 * whose email counts as verified (the operator vouches for it), with the same rule as FIRST_SUPERUSER_* at start-up (created when no user has the email; an existing
 * user is left unchanged). Missing values are asked for when stdin is a terminal, the password without
 * echo. Uses the same environment as the server (DATABASE_URL or DATA_DIR, PASSWORD_HASH,
 * BCRYPT_COST, ARGON2_*).
 * Exit codes: 0 created or already a superuser, 1 the email belongs to a non-superuser or it failed,
 * 2 bad arguments or input.
 */
import { stdin, stdout } from "node:process";
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { createPasswordHasher } from "@app/auth";
import { createUserService } from "@app/core";
import { ConfigError, loadConfigFromEnvironment } from "../config.js";
import { openDatabase } from "../deps.js";
import { createEmailRule, createNewPasswordRule } from "../passwords/credential-rules.js";

const USAGE = `usage: users:create-superuser [--email EMAIL] [--password PASSWORD | --password-stdin]

Creates an active superuser, its email marked verified, unless a user with EMAIL already exists
(then nothing changes).
Without flags it asks for them on a terminal. --password-stdin reads the password from standard input
(first line), which keeps it out of the shell history and the process list.`;

class UsageError extends Error {
  override readonly name = "UsageError";
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      email: { type: "string" },
      password: { type: "string" },
      "password-stdin": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.password !== undefined && values["password-stdin"]) {
    throw new UsageError("give --password or --password-stdin, not both");
  }
  const config = loadConfigFromEnvironment();

  let email = values.email;
  let password = values["password-stdin"] ? await readFirstLine() : values.password;
  if (email === undefined || password === undefined) {
    if (!stdin.isTTY)
      throw new UsageError("--email and a password are required when stdin is not a terminal");
    email ??= await ask("Email: ");
    password ??= await askHidden("Password: ");
  }
  const parsedEmail = createEmailRule().safeParse(email);
  if (!parsedEmail.success) throw new UsageError(`email ${parsedEmail.error.issues[0]?.message}`);
  const parsedPassword = createNewPasswordRule(config.passwordPolicy.minLength).safeParse(password);
  if (!parsedPassword.success) throw new UsageError(`password ${parsedPassword.error.issues[0]?.message}`);

  // Only the user service: a command that needs no tokens must not create or replace signing keys.
  const database = await openDatabase(config);
  try {
    const users = createUserService({
      db: database.db,
      passwords: createPasswordHasher({
        algorithm: config.passwordHashing.algorithm,
        cost: config.bcryptCost,
        argon2: config.passwordHashing.argon2,
      }),
    });
    const { user, created } = await users.ensureSuperuser({
      email: parsedEmail.data,
      password: parsedPassword.data,
    });
    if (created) {
      stdout.write(`created superuser ${user.email} (${user.id})\n`);
      return 0;
    }
    if (user.isSuperuser) {
      stdout.write(`superuser ${user.email} already exists (${user.id}); left unchanged\n`);
      return 0;
    }
    process.stderr.write(
      `${user.email} is an existing user who is not a superuser; left unchanged ` +
        `(a superuser can promote it with PATCH /v1/users/${user.id} {"is_superuser": true})\n`,
    );
    return 1;
  } finally {
    await database.close();
  }
}

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: stdin, output: stdout });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

/** Reads a line in raw mode so the terminal does not echo it; Ctrl-C aborts. */
function askHidden(question: string): Promise<string> {
  stdout.write(question);
  return new Promise((resolve, reject) => {
    let answer = "";
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding("utf8");
    const finish = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      stdout.write("\n");
      if (error) reject(error);
      else resolve(answer);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n") return finish();
        if (char === "\u0003") return finish(new UsageError("aborted"));
        if (char === "\u007f" || char === "\b") answer = [...answer].slice(0, -1).join("");
        else answer += char;
      }
    };
    stdin.on("data", onData);
  });
}

async function readFirstLine(): Promise<string> {
  let text = "";
  for await (const chunk of stdin) {
    text += String(chunk);
    if (text.includes("\n")) break;
  }
  return text.split(/\r?\n/)[0] ?? "";
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(
      error instanceof ConfigError ? `${error.message}\n` : `failed: ${describeFailure(error)}\n`,
    );
    process.exit(1);
  },
);

/** Drizzle's own message holds the SQL; the driver's cause says what actually went wrong. */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? error.cause.message : error.message;
}
