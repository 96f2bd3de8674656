/**
 * The HTTP endpoint of a running role: Prometheus text at `/metrics`, a
 * liveness check at `/healthz` and a readiness check at `/readyz`.
 *
 * @module
 */
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { parseListen } from "./listen.js";

/** What `/healthz` and `/readyz` report: `serving` decides `/readyz`; every field is in both bodies. */
export interface HealthReport {
  /** Whether the role serves requests now (a Binary Star node: when active); `/readyz` is 503 when not. */
  readonly serving: boolean;
  /** More fields for the JSON body (role, state, …). */
  readonly [field: string]: unknown;
}

/** Options of {@link serveMetrics}. */
export interface MetricsServerOptions {
  /** `host:port`, or a bare `port` for `127.0.0.1:port` (loopback); port 0 picks a free one. */
  readonly listen: string;
  /** The registry `/metrics` serves. */
  readonly registry: Registry;
  /** What `/healthz` and `/readyz` report, read on each request. */
  readonly health: () => HealthReport;
}

/** A listening {@link serveMetrics} server. */
export interface MetricsServer {
  /** The address as bound, `host:port` (the port chosen when 0 was asked for). */
  readonly address: string;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/**
 * Serves `/metrics` (Prometheus text from `registry`), `/healthz` (200 and a
 * JSON body `{ status: "ok", …health }` while the process runs: liveness) and
 * `/readyz` (the same body, 200 when `health().serving`, else 503:
 * readiness). Anything else is 404; a method other than GET or HEAD is 405.
 *
 * @param options - where to listen, the registry, the health report.
 */
export async function serveMetrics(options: MetricsServerOptions): Promise<MetricsServer> {
  const { host, port } = parseListen(options.listen);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/metrics") {
      options.registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": options.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`metrics failed: ${(err as Error)?.message ?? String(err)}\n`),
      );
      return;
    }
    if (path === "/healthz" || path === "/readyz") {
      const health = options.health();
      const status = path === "/readyz" && !health.serving ? 503 : 200;
      res.writeHead(status, { "content-type": "application/json" }).end(`${JSON.stringify({ status: status === 200 ? "ok" : "unavailable", ...health })}\n`);
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found: try /metrics, /healthz or /readyz\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  return {
    address: `${bound.family === "IPv6" ? `[${bound.address}]` : bound.address}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
