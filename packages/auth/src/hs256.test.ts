import { createHmac } from "node:crypto";
import { sign, verify } from "hono/jwt";
import { describe, expect, it } from "vitest";
import { InvalidTokenError } from "./errors.js";
import { createHs256 } from "./hs256.js";

const secret = "a-test-secret-that-is-at-least-32-bytes-long";
const base64url = (value: string) => Buffer.from(value).toString("base64url");
const jwt = createHs256(secret);

function signed(header: object, payload: string = JSON.stringify({ sub: "u" })) {
  const unsigned = `${base64url(JSON.stringify(header))}.${base64url(payload)}`;
  return `${unsigned}.${createHmac("sha256", secret).update(unsigned).digest("base64url")}`;
}

function reasonOf(token: string): string | undefined {
  try {
    jwt.verify(token);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidTokenError);
    return (error as InvalidTokenError).reason;
  }
}

describe("createHs256", () => {
  it("speaks the same HS256 as hono/jwt, both ways", async () => {
    const payload = { sub: "u", iat: 1, exp: 4_000_000_000, jti: "j" };
    const ours = jwt.sign(payload);
    expect(ours).toBe(await sign(payload, secret, "HS256"));
    await expect(verify(ours, secret, "HS256")).resolves.toEqual(payload);
    expect(jwt.verify(await sign(payload, secret, "HS256"))).toEqual(payload);
  });

  it("accepts the header variants hono/jwt accepted", () => {
    expect(reasonOf(signed({ alg: "HS256" }))).toBeUndefined();
    expect(reasonOf(signed({ typ: "application/JWT", alg: "HS256" }))).toBeUndefined();
  });

  it("refuses another typ, a crit header, and a header that is not an object", () => {
    expect(reasonOf(signed({ alg: "HS256", typ: "at+jwt" }))).toBe("wrong_algorithm");
    expect(reasonOf(signed({ alg: "HS256", typ: "JWT", crit: ["exp"] }))).toBe("wrong_algorithm");
    expect(reasonOf(signed([]))).toBe("wrong_algorithm");
    expect(reasonOf(`${base64url("null")}.${base64url("{}")}.${"A".repeat(43)}`)).toBe("malformed");
  });

  it("refuses a correctly signed payload that is not a JSON object", () => {
    expect(reasonOf(signed({ alg: "HS256", typ: "JWT" }, "null"))).toBe("malformed");
    expect(reasonOf(signed({ alg: "HS256", typ: "JWT" }, "[1]"))).toBe("malformed");
    expect(reasonOf(signed({ alg: "HS256", typ: "JWT" }, "not json"))).toBe("malformed");
  });

  it("refuses a signature of the wrong length or alphabet, and parts outside base64url", () => {
    const [header, payload, signature] = jwt.sign({ sub: "u" }).split(".");
    expect(reasonOf(`${header}.${payload}.${signature?.slice(0, -4)}`)).toBe("bad_signature");
    expect(reasonOf(`${header}.${payload}.${signature}AAAA`)).toBe("bad_signature");
    expect(reasonOf(`${header}.${payload}.${signature?.slice(0, -1)}+`)).toBe("malformed");
    expect(reasonOf(`${header}.${payload}x!.${signature}`)).toBe("malformed");
    expect(reasonOf(`${header}.${payload}.${signature}.`)).toBe("malformed");
  });

  it("checks the MAC before reading the payload", () => {
    const [header] = jwt.sign({ sub: "u" }).split(".");
    expect(reasonOf(`${header}.${base64url("not json")}.${"A".repeat(43)}`)).toBe("bad_signature");
  });
});
