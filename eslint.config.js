import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

/** Pattern packages: none may import another (compositions one layer up may). */
const PATTERNS = ["lazy-pirate", "paranoid-pirate", "majordomo", "binary-star"];

/** What pure code (wire codecs, state machines, core's pure/ and machines/) may not import. */
const SOCKET_CODE = [
  { group: ["zeromq", "zeromq/*"], message: "Pure protocol code must not touch sockets: move socket work to the role." },
  { group: ["node:net", "node:dgram", "node:timers", "node:timers/*", "node:child_process"], message: "Pure protocol code takes the time as an argument and never does I/O." },
  { group: ["**/io/*", "**/io/**", "**/security/*"], message: "Pure code may not import core's socket layer (io/, security/)." },
  { group: ["./client.js", "./worker.js", "./broker.js", "./server.js", "./queue.js", "./node.js", "./cli.js"], message: "Pure code may not import a role." },
];

export default defineConfig(
  { ignores: ["**/dist/**", "docs/api/**", "docs/.run/**", "**/.turbo/**", "**/node_modules/**"] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  // Layering: a pattern package imports core and zeromq, never another pattern; its wire codec
  // and state machines (like core's pure/ and machines/) never touch sockets, timers or roles.
  ...["core", ...PATTERNS].flatMap((pkg) => {
    const others = {
      group: PATTERNS.filter((p) => p !== pkg).flatMap((p) => [`@zmq-reliable/${p}`, `@zmq-reliable/${p}/*`, `**/${p}/src/**`]),
      message: "A pattern package may not import another pattern package: compose them one layer up (ha-majordomo).",
    };
    const pure = ["src/protocol.ts", "src/fsm.ts", "src/**/*-state.ts", "src/pure/**/*.ts", "src/machines/**/*.ts"].map((f) => `packages/${pkg}/${f}`);
    return [
      { files: [`packages/${pkg}/**/*.{ts,mjs,js}`], rules: { "no-restricted-imports": ["error", { patterns: [others] }] } },
      {
        files: pure,
        rules: {
          "no-restricted-imports": ["error", { patterns: [others, ...SOCKET_CODE] }],
          "no-restricted-globals": [
            "error",
            { name: "setTimeout", message: "Pure code asks to be woken (wakeAt) instead of setting timers." },
            { name: "setInterval", message: "Pure code asks to be woken (wakeAt) instead of setting timers." },
            { name: "performance", message: "Pure code is given the time (now) instead of reading a clock." },
          ],
          "no-restricted-properties": ["error", { object: "Date", property: "now", message: "Pure code is given the time (now) instead of reading a clock." }],
        },
      },
    ];
  }),
);
