import { describe, expect, it } from "vitest";
import { chooseEncoding } from "./accept-encoding.js";

const BOTH = ["br", "gzip"] as const;

describe("chooseEncoding", () => {
  it.each([
    [undefined, BOTH, "identity"],
    ["", BOTH, "identity"],
    ["gzip, deflate, br, zstd", BOTH, "br"],
    ["gzip, deflate", BOTH, "gzip"],
    ["br", ["gzip"], "identity"],
    ["gzip;q=1, br;q=0.5", BOTH, "gzip"],
    ["br;q=0, gzip", BOTH, "gzip"],
    ["br;q=0, gzip;q=0", BOTH, "identity"],
    ["*", BOTH, "br"],
    ["*;q=0.5, gzip", BOTH, "gzip"],
    ["identity", BOTH, "identity"],
    ["gzip;q=0.5, identity", BOTH, "identity"],
    ["gzip;q=0.5", BOTH, "gzip"],
    ["*;q=0", BOTH, "identity"],
    ["BR, GZIP", BOTH, "br"],
    ["x-gzip", BOTH, "gzip"],
    ["br;q=2, gzip;q=0.1", BOTH, "gzip"],
    ["br;q=abc, gzip;q=0.1", BOTH, "gzip"],
    ["br ; q=0.8 , gzip ; q=0.9", BOTH, "gzip"],
    ["gzip", [], "identity"],
  ] as const)("%j with %j → %s", (header, available, expected) => {
    expect(chooseEncoding(header, available)).toBe(expected);
  });
});
