// First-load benchmark: what a first visit to the studio costs in bytes and time, and how big the
// browser bundle is raw, gzip'd and brotli'd. Prints figures on lines starting with `first_load `.
//
//   node bench/first_load.mjs URL [--runs N] [--pkg DIR]   measure (DIR defaults to target/site/pkg)
//   node bench/first_load.mjs --precompress DIR            write .gz and .br siblings of DIR's bundle
//
// Measuring opens URL in Debian's chromium (driven by Playwright from end2end/node_modules), each
// run in a fresh browser context: empty cache, no open connections. One untimed run first, so
// the browser's own start-up is not charged to run 1. Bytes are Chromium's count of what came
// over the wire (CDP Network.loadingFinished encodedDataLength: compressed bodies plus response
// headers, every request including the document); the Resource Timing sums are printed as a
// cross-check. Time to interactive is from navigation start until the studio reports
// data-hydrated=true, stamped in the page by a MutationObserver.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { ROOT, launchChromium, percentile, usageError as fail } from "./chromium.mjs";

const DEFAULT_RUNS = 10;
const STUDIO_READY = "[data-testid=studio][data-hydrated=true]";
const BUNDLE_EXTENSIONS = [".wasm", ".js", ".css"];
// Bounds every wait: a page that never hydrates fails the run instead of hanging it.
const WAIT_MS = 15_000;

main().catch((error) => {
  console.error(`first_load: ${error.stack ?? error}`);
  process.exit(1);
});

function usageError(message) {
  fail("first_load", "first_load.mjs URL [--runs N] [--pkg DIR] | --precompress DIR", message);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.precompress) {
    precompress(args.precompress);
    return;
  }
  reportBundle(args.pkg);
  await reportFirstLoad(args.url, args.runs);
}

function parseArgs(argv) {
  const args = { url: null, runs: DEFAULT_RUNS, pkg: path.join(ROOT, "target/site/pkg"), precompress: null };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usageError(`${flag} needs a value`);
      return argv[++i];
    };
    if (flag === "--runs") args.runs = Number(value());
    else if (flag === "--pkg") args.pkg = value();
    else if (flag === "--precompress") args.precompress = value();
    else if (!flag.startsWith("--") && args.url === null) args.url = flag;
    else usageError(`unexpected argument ${flag}`);
  }
  if (!args.precompress && !args.url) usageError("a URL or --precompress DIR is needed");
  if (!Number.isInteger(args.runs) || args.runs < 1) usageError("--runs must be a positive integer");
  return args;
}

// The settings a deployment would use: gzip -9 and brotli quality 11 (the maximum; the files are
// compressed once per build, so the slow setting costs nothing at serving time).
function compress(bytes) {
  return {
    raw: bytes,
    gzip: zlib.gzipSync(bytes, { level: 9 }),
    brotli: zlib.brotliCompressSync(bytes, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }),
  };
}

function bundleFiles(dir) {
  return readdirSync(dir)
    .filter((name) => BUNDLE_EXTENSIONS.includes(path.extname(name)))
    .sort()
    .map((name) => path.join(dir, name));
}

// leptos_axum serves `X.br` / `X.gz` instead of `X` when they exist and the browser accepts the
// encoding. They are written fresh every time: a stale sibling of a rebuilt file would be served
// in its place.
function precompress(dir) {
  for (const file of bundleFiles(dir)) {
    const { gzip, brotli } = compress(readFileSync(file));
    writeFileSync(`${file}.gz`, gzip);
    writeFileSync(`${file}.br`, brotli);
    console.log(`precompressed ${path.relative(ROOT, file)}: .gz ${gzip.length} B, .br ${brotli.length} B`);
  }
}

function reportBundle(dir) {
  for (const file of bundleFiles(dir)) {
    const { raw, gzip, brotli } = compress(readFileSync(file));
    console.log(
      `first_load bundle ${path.basename(file)}: raw ${raw.length} B, gzip -9 ${gzip.length} B, brotli q11 ${brotli.length} B`,
    );
  }
}

async function reportFirstLoad(url, runs) {
  const browser = await launchChromium();
  try {
    await measureOnce(browser, url);
    const results = [];
    for (let run = 0; run < runs; run++) results.push(await measureOnce(browser, url));
    printSummary(results);
  } finally {
    await browser.close();
  }
}

async function measureOnce(browser, url) {
  const context = await browser.newContext();
  try {
    await context.addInitScript(stampWhenReady, STUDIO_READY);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const wire = trackWire(cdp);
    await cdp.send("Network.enable");
    const response = await page.goto(url, { waitUntil: "domcontentloaded", timeout: WAIT_MS });
    if (!response?.ok()) throw new Error(`${url} answered ${response?.status()}`);
    await page.waitForFunction(() => window.__studioReadyAt !== undefined, null, { timeout: WAIT_MS });
    // Count what arrives after hydration too (anything the hydrated page fetches).
    await page.waitForLoadState("networkidle", { timeout: WAIT_MS });
    return { ...(await page.evaluate(pageTimings)), ...wire.totals() };
  } finally {
    await context.close();
  }
}

// Runs in the page before any of its scripts. Records performance.now() (milliseconds since
// navigation start) as soon as `selector` matches; MutationObserver callbacks run right after
// the mutation, so the stamp does not wait for a poll.
function stampWhenReady(selector) {
  const observer = new MutationObserver(() => {
    if (document.querySelector(selector)) {
      window.__studioReadyAt = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-hydrated"] });
}

// Runs in the page: navigation milestones and the Resource Timing byte sums.
function pageTimings() {
  const navigation = performance.getEntriesByType("navigation")[0];
  const entries = [navigation, ...performance.getEntriesByType("resource")];
  const sum = (field) => entries.reduce((total, entry) => total + entry[field], 0);
  return {
    interactiveMs: window.__studioReadyAt,
    domContentLoadedMs: navigation.domContentLoadedEventEnd,
    loadMs: navigation.loadEventEnd,
    encodedBodyBytes: sum("encodedBodySize"),
    transferBytes: sum("transferSize"),
    decodedBodyBytes: sum("decodedBodySize"),
  };
}

// Per request: URL, status, content-encoding and the bytes Chromium received for it.
function trackWire(cdp) {
  const requests = new Map();
  const entry = (id) => requests.get(id) ?? requests.set(id, { bytes: 0 }).get(id);
  cdp.on("Network.responseReceived", ({ requestId, response }) => {
    const encoding = Object.entries(response.headers).find(([name]) => name.toLowerCase() === "content-encoding");
    Object.assign(entry(requestId), { url: response.url, status: response.status, encoding: encoding?.[1] ?? "identity" });
  });
  cdp.on("Network.loadingFinished", ({ requestId, encodedDataLength }) => {
    entry(requestId).bytes = encodedDataLength;
  });
  cdp.on("Network.loadingFailed", ({ requestId, errorText }) => {
    entry(requestId).failed = errorText;
  });
  return {
    totals: () => {
      const list = [...requests.values()];
      return { wireBytes: list.reduce((total, r) => total + r.bytes, 0), requests: list };
    },
  };
}

function printSummary(results) {
  const stat = (field) => {
    const values = results.map((result) => result[field]);
    return { median: percentile(values, 50), min: Math.min(...values), max: Math.max(...values) };
  };
  const ms = (value) => `${value.toFixed(1)} ms`;
  const wire = stat("wireBytes");
  const interactive = stat("interactiveMs");
  console.log(
    `first_load transferred (CDP encodedDataLength, bodies + response headers, ${results.length} cold runs): ` +
      `median ${wire.median} B (min ${wire.min}, max ${wire.max})`,
  );
  console.log(
    `first_load resource timing cross-check: encodedBodySize ${stat("encodedBodyBytes").median} B, ` +
      `transferSize ${stat("transferBytes").median} B, decodedBodySize ${stat("decodedBodyBytes").median} B (medians)`,
  );
  console.log(
    `first_load time to interactive (navigation start to data-hydrated=true): median ${ms(interactive.median)} ` +
      `(min ${ms(interactive.min)}, max ${ms(interactive.max)}); DOMContentLoaded median ${ms(stat("domContentLoadedMs").median)}, ` +
      `load median ${ms(stat("loadMs").median)}`,
  );
  for (const request of results[0].requests) {
    const where = request.url ? new URL(request.url).pathname : "(no response)";
    const outcome = request.failed ? `FAILED ${request.failed}` : `${request.status} ${request.encoding}`;
    console.log(`first_load request (run 1): ${where} ${outcome} ${request.bytes} B`);
  }
}
