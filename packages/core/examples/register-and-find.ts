/**
 * Another internal service using @app/core directly, without HTTP: open the database, register a
 * user, look it up, check its password. Run by `examples/register-and-find.test.ts`; on Node ≥ 22.6
 * also `node --experimental-strip-types examples/register-and-find.ts [postgres://…]` after a build.
 */
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import {
  createDatabase,
  createUserService,
  EmailTakenError,
  migrateDatabase,
  type PasswordHasher,
} from "@app/core";

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

/**
 * @app/core asks for a PasswordHasher instead of choosing one. The user-management API passes
 * @app/auth's bcrypt; any service that shares a database with it must do the same, so that users can
 * log in wherever they were created. This scrypt one keeps the example self-contained.
 */
const scryptHasher: PasswordHasher = {
  async hash(plain) {
    const salt = randomBytes(16);
    return `scrypt$${salt.toString("hex")}$${(await scryptAsync(plain, salt, 32)).toString("hex")}`;
  },
  async verify(plain, hashed) {
    const [, salt, expected] = hashed.split("$");
    if (!salt || !expected) return false;
    return timingSafeEqual(
      await scryptAsync(plain, Buffer.from(salt, "hex"), 32),
      Buffer.from(expected, "hex"),
    );
  },
};

/**
 * @param options.url a PostgreSQL URL; without it, a throwaway embedded database (`memory://`).
 * @returns the lines it printed, so a test can check them.
 */
export async function main(options: { url?: string | undefined; log?: (line: string) => void } = {}) {
  const lines: string[] = [];
  const log = (line: string) => {
    lines.push(line);
    (options.log ?? console.log)(line);
  };

  const database = await createDatabase(
    options.url ? { url: options.url, poolSize: 2 } : { dataDir: "memory://" },
  );
  try {
    await migrateDatabase(database);
    const users = createUserService({ db: database.db, passwords: scryptHasher });

    const email = `grace-${randomBytes(4).toString("hex")}@example.com`;
    const grace = await users.register({
      email,
      password: "correct horse battery",
      fullName: "Grace Hopper",
    });
    log(`registered ${grace.email} as ${grace.id}`);

    const found = await users.getProfile(grace.id);
    log(`found ${found.fullName} <${found.email}>, active: ${found.isActive}`);

    const signedIn = await users.authenticate({
      email: email.toUpperCase(),
      password: "correct horse battery",
    });
    log(`password checks out for ${signedIn.email}`);

    try {
      await users.register({ email, password: "another password" });
    } catch (error) {
      if (!(error instanceof EmailTakenError)) throw error;
      log(`second registration refused: ${error.code}`);
    }
    return lines;
  } finally {
    await database.close();
  }
}
