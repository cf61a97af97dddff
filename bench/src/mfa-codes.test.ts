import { totpCodeForStep, totpStepAt } from "@app/core";
import { decodeBase32IgnorePadding, encodeBase32UpperCaseNoPadding } from "@oslojs/encoding";
import { describe, expect, it } from "vitest";
import type { MfaUser } from "./load-spec.js";
import { nextMfaBody, SPENT_MFA_TOKEN } from "./mfa-codes.js";

const key = (fill: number) => encodeBase32UpperCaseNoPadding(new Uint8Array(20).fill(fill));
const now = Date.UTC(2026, 0, 1, 12, 0, 10);
const current = totpStepAt(now);
const codeFor = (secret: string, step: number) => totpCodeForStep(decodeBase32IgnorePadding(secret), step);

describe("nextMfaBody", () => {
  it("sends each user's codes for steps after its last one, within the server's +1 step, once each", () => {
    const users: MfaUser[] = [
      { secret: key(1), lastStep: current - 5, mfaTokens: ["a1", "a2", "a3"] },
      // Its setup was confirmed with the current step's code: only the next step is left.
      { secret: key(2), lastStep: current, mfaTokens: ["b1", "b2"] },
    ];
    const state = { next: 0 };
    const bodies = Array.from({ length: 4 }, () => JSON.parse(nextMfaBody(users, state, now)));
    expect(bodies).toEqual([
      { mfa_token: "a3", code: codeFor(key(1), current) },
      { mfa_token: "b2", code: codeFor(key(2), current + 1) },
      { mfa_token: "a2", code: codeFor(key(1), current + 1) },
      // Nobody has a usable step left: a request that must fail, never a replayed code.
      { mfa_token: SPENT_MFA_TOKEN, code: "000000" },
    ]);
    expect(users.map((user) => user.lastStep)).toEqual([current + 1, current + 1]);
  });

  it("skips a user without a live mfa_token", () => {
    const users: MfaUser[] = [
      { secret: key(3), lastStep: 0, mfaTokens: [] },
      { secret: key(4), lastStep: 0, mfaTokens: ["d1"] },
    ];
    expect(JSON.parse(nextMfaBody(users, { next: 0 }, now))).toEqual({
      mfa_token: "d1",
      code: codeFor(key(4), current),
    });
  });
});
