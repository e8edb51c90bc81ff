// What the browser benchmarks share: Debian's chromium driven by Playwright from end2end/, kept off
// the network, and nearest-rank percentiles.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

// Keep chromium off the network: only the app on 127.0.0.1 is contacted. The browser tests'
// list, so a benchmark measures the browser the tests drive (Playwright adds --no-sandbox).
const CHROMIUM_ARGS = JSON.parse(readFileSync(path.join(ROOT, "end2end", "chromium-args.json"), "utf8"));

export async function launchChromium() {
  // Why end2end's copy: the benchmarks use the same pinned Playwright as the browser tests.
  const require = createRequire(path.join(ROOT, "end2end", "package.json"));
  const { chromium } = require("@playwright/test");
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
  });
}

// Nearest rank, like the Rust benchmarks: always an observed run, never an interpolation.
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((sorted.length * p) / 100)) - 1];
}

// A wrong command line is the caller's mistake: say so without a stack trace.
export function usageError(name, usage, message) {
  console.error(`${name}: ${message}\nusage: ${usage}`);
  process.exit(2);
}
