import { connect, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy {
  /** Where clients connect (127.0.0.1:port). */
  host: string;
  port: number;
  /** Rewrites a postgres:// URL to go through the proxy. */
  urlFor(url: string): string;
  /** Stop forwarding in both directions; connections stay open and data waits (a stalled link). */
  pause(): void;
  /** Destroy every connection and refuse new ones until restore (the server is gone). */
  cut(): void;
  /** Delay every chunk in both directions by `ms` (a slow link). */
  slow(ms: number): void;
  /** Forward normally again, flushing whatever waited during a pause (after a cut: listening again). */
  restore(): Promise<void>;
  /** Open client connections right now. */
  connections(): number;
  close(): Promise<void>;
}

type Mode = { kind: "normal" } | { kind: "paused" } | { kind: "cut" } | { kind: "slow"; ms: number };

interface Pipe {
  client: Socket;
  upstream: Socket;
  /** Chunks held while paused, in order, with the socket they are for. */
  held: { to: Socket; chunk: Buffer }[];
}

/**
 * A fault-injection TCP proxy between the app and PostgreSQL. It forwards bytes untouched; faults are
 * what a real network does: stall, drop, or lag. Cut keeps refusing new connections (the listening
 * socket is closed) until restore re-opens it on the same port.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: Mode = { kind: "normal" };
  const pipes = new Set<Pipe>();
  let server: Server;
  let port = 0;

  const forward = (pipe: Pipe, to: Socket, chunk: Buffer) => {
    if (mode.kind === "paused") {
      pipe.held.push({ to, chunk });
    } else if (mode.kind === "slow") {
      setTimeout(() => to.destroyed || to.write(chunk), mode.ms);
    } else if (mode.kind === "normal") {
      to.write(chunk);
    }
  };

  const onConnection = (client: Socket) => {
    if (mode.kind === "cut") {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    const pipe: Pipe = { client, upstream, held: [] };
    pipes.add(pipe);
    client.on("data", (chunk: Buffer) => forward(pipe, upstream, chunk));
    upstream.on("data", (chunk: Buffer) => forward(pipe, client, chunk));
    const teardown = () => {
      pipes.delete(pipe);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", teardown);
    upstream.on("close", teardown);
    client.on("error", teardown);
    upstream.on("error", teardown);
  };

  const listen = (onPort: number) =>
    new Promise<void>((resolve, reject) => {
      server = createServer(onConnection);
      server.once("error", reject);
      server.listen(onPort, "127.0.0.1", () => {
        const address = server.address();
        if (typeof address === "object" && address) port = address.port;
        resolve();
      });
    });
  await listen(0);

  const flushHeld = () => {
    for (const pipe of pipes) {
      for (const { to, chunk } of pipe.held.splice(0)) if (!to.destroyed) to.write(chunk);
    }
  };

  return {
    host: "127.0.0.1",
    get port() {
      return port;
    },
    urlFor(url) {
      const parsed = new URL(url);
      parsed.hostname = "127.0.0.1";
      parsed.port = String(port);
      return parsed.toString();
    },
    pause() {
      mode = { kind: "paused" };
    },
    cut() {
      mode = { kind: "cut" };
      server.close();
      for (const pipe of pipes) {
        pipe.client.destroy();
        pipe.upstream.destroy();
      }
      pipes.clear();
    },
    slow(ms) {
      mode = { kind: "slow", ms };
    },
    async restore() {
      const wasCut = mode.kind === "cut";
      mode = { kind: "normal" };
      flushHeld();
      if (wasCut) await listen(port);
    },
    connections: () => pipes.size,
    async close() {
      mode = { kind: "cut" };
      for (const pipe of pipes) {
        pipe.client.destroy();
        pipe.upstream.destroy();
      }
      await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
    },
  };
}
