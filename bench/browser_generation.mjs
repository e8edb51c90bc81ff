// Browser-side cost of a generation: what the page adds between a click on Generate (or
// Regenerate) and the picture on screen, beyond the provider's latency; the browser's CPU per
// generation; how soon the busy state shows; and ten visitors generating at once. Prints figures
// on lines starting with `browser_generation `.
//
//   node bench/browser_generation.mjs APP_URL --mock MOCK_URL [--runs N] [--regenerates N]
//        [--visitors N] [--latency-ms MS]
//
// APP_URL is a release server whose OpenAI engine points at mock-providers at MOCK_URL (base URL
// MOCK_URL/openai/v1; the mock started with --image-bytes for realistic pictures); bench/run
// starts both. Before every generation the mock's OpenAI is scripted to answer after MS
// milliseconds. Method: bench/README.md §4.
import { readdirSync, readFileSync } from "node:fs";
import { launchChromium, percentile, usageError } from "./chromium.mjs";

const USAGE =
  "browser_generation.mjs APP_URL --mock MOCK_URL [--runs N] [--regenerates N] [--visitors N] [--latency-ms MS]";
const STUDIO_READY = "[data-testid=studio][data-hydrated=true]";
// Bounds every wait: a page that never shows its picture fails the run instead of hanging it.
const WAIT_MS = 60_000;
// CPU is counted from just before the click until this long after the picture is ready, so work
// the page defers (saving the picture) is charged to the generation that caused it.
const SETTLE_MS = 1_000;
// Element Timing reports a paint shortly after it happens; this bounds the wait for that report.
const PAINT_REPORT_MS = 2_000;

main().catch((error) => {
  console.error(`browser_generation: ${error.stack ?? error}`);
  process.exit(1);
});

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const browser = await launchChromium();
  try {
    // One untimed generation: the browser's and the server's first-use costs are not charged.
    await session(browser, args, 0);
    const sessions = [];
    for (let run = 1; run <= args.runs; run++) sessions.push(await session(browser, args, run));
    report(args, sessions.flatMap((s) => s.samples), sessions.map((s) => s.idle));
    reportVisitors(args, await visitors(browser, args));
  } finally {
    await browser.close();
  }
}

function parseArgs(argv) {
  const args = { url: null, mock: null, runs: 3, regenerates: 2, visitors: 10, latencyMs: 2000 };
  const fail = (message) => usageError("browser_generation", USAGE, message);
  const numbers = { "--runs": "runs", "--regenerates": "regenerates", "--visitors": "visitors", "--latency-ms": "latencyMs" };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`${flag} needs a value`);
      return argv[++i];
    };
    if (flag === "--mock") args.mock = value().replace(/\/$/, "");
    else if (numbers[flag]) args[numbers[flag]] = Number(value());
    else if (!flag.startsWith("--") && args.url === null) args.url = flag;
    else fail(`unexpected argument ${flag}`);
  }
  if (!args.url || !args.mock) fail("APP_URL and --mock MOCK_URL are needed");
  for (const key of Object.values(numbers)) {
    if (!Number.isInteger(args[key]) || args[key] < 0) fail(`--${key} must be a whole number`);
  }
  if (args.runs < 1 || args.visitors < 1) fail("--runs and --visitors must be at least 1");
  return args;
}

// The mock's OpenAI answers the next `count` generations after `latencyMs`.
async function scriptMock(args, count) {
  const steps = Array.from({ length: count }, () => ({ provider: "openai", respond: "image", delay_ms: args.latencyMs }));
  const response = await fetch(`${args.mock}/__mock/script`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ steps }),
  });
  if (response.status !== 204) {
    throw new Error(`the mock refused the script: ${response.status} ${await response.text()}`);
  }
}

async function openStudio(context, args) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  const cdp = await context.newCDPSession(page);
  await cdp.send("Performance.enable");
  await page.goto(args.url, { timeout: WAIT_MS });
  await page.waitForSelector(STUDIO_READY, { timeout: WAIT_MS });
  return { page, cdp, errors };
}

// One visitor's session in a fresh context: Generate, then `regenerates` Regenerates, each timed.
// Run 0 is the untimed warm-up.
async function session(browser, args, run) {
  const context = await browser.newContext();
  try {
    const studio = await openStudio(context, args);
    await studio.page.getByTestId("prompt-input").fill(`a lighthouse at dawn, bench run ${run}`);
    const samples = [];
    const generations = run === 0 ? 1 : 1 + args.regenerates;
    for (let i = 0; i < generations; i++) {
      const button = i === 0 ? "generate-button" : "regenerate-button";
      samples.push({ ...(await generation(studio, args, button)), kind: i === 0 ? "generate" : "regenerate" });
    }
    const idle = await idleCpu(studio, args.latencyMs + SETTLE_MS);
    if (studio.errors.length) throw new Error(`the page threw: ${studio.errors.join("; ")}`);
    return { samples, idle };
  } finally {
    await context.close();
  }
}

async function generation(studio, args, button) {
  const { page } = studio;
  const click = await clicker(page, button);
  await page.evaluate(armProbe);
  await scriptMock(args, 1);
  const before = await cpu(studio);
  await click();
  const probe = await finishedProbe(page, args);
  await page.waitForTimeout(SETTLE_MS);
  const after = await cpu(studio);
  return { ...timings(probe, args), ...cpuDelta(before, after) };
}

// A person's click on the button: mouse events at its centre. Why not locator.click(): its
// actionability checks run scripts and wait for animation frames in the page, CPU the page would
// be charged for. They run here, before the measured window.
async function clicker(page, testid) {
  const button = page.getByTestId(testid);
  await button.waitFor({ timeout: WAIT_MS });
  await button.scrollIntoViewIfNeeded();
  const box = await button.boundingBox();
  return () => page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

// Waits in the page on the probe's promises: polling (Playwright's waitForFunction polls on every
// animation frame) would make the page render 60 frames a second and be charged for them.
async function finishedProbe(page, args) {
  const probe = await page.evaluate(
    async ({ waitMs, paintMs }) => {
      const probe = window.__probe;
      const timeout = (ms, value) => new Promise((resolve) => setTimeout(() => resolve(value), ms));
      if ((await Promise.race([probe.ready, timeout(waitMs, "timeout")])) === "timeout") {
        probe.error ??= "no new picture appeared";
      }
      await Promise.race([probe.painted, timeout(paintMs)]);
      // The answer's arrival splits the time into server side and browser side.
      const call = performance
        .getEntriesByType("resource")
        .findLast((e) => e.name.includes("/api/generate_picture") && e.startTime >= probe.clickAt);
      Object.assign(probe, { fetchAt: call?.startTime, answerStartAt: call?.responseStart, answerAt: call?.responseEnd });
      const { picture, beforePicture, ready, painted, ...plain } = probe;
      return { ...plain, src: picture?.getAttribute("src")?.slice(0, 5) };
    },
    { waitMs: WAIT_MS + args.latencyMs, paintMs: PAINT_REPORT_MS },
  );
  if (probe.error) throw new Error(`the picture did not show: ${probe.error}`);
  return probe;
}

// Runs in the page before a click. Stamps, in performance.now() milliseconds:
// - clickAt: the click's event timestamp (capture phase, before any handler of the page);
// - busyAt: the first animation frame after the studio switched to data-stage=generating, i.e.
//   the frame that paints the busy state;
// - pictureReadyAt: when a new result picture has been decoded (HTMLImageElement.decode());
// - picturePaintAt: when Chromium painted it (Element Timing renderTime), if reported.
function armProbe() {
  const studio = document.querySelector("[data-testid=studio]");
  const beforePicture = document.querySelector("[data-testid=result-image]");
  const probe = { beforePicture, beforeSrc: beforePicture?.getAttribute("src"), timeOrigin: performance.timeOrigin };
  let settle, painted;
  probe.ready = new Promise((resolve) => (settle = resolve));
  probe.painted = new Promise((resolve) => (painted = resolve));
  window.__probe = probe;
  window.addEventListener(
    "click",
    (event) => {
      if (probe.clickAt === undefined && event.target.closest("[data-testid$=generate-button]")) {
        probe.clickAt = event.timeStamp;
      }
    },
    { capture: true },
  );
  const paints = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.element && entry.element === probe.picture) {
        probe.picturePaintAt = entry.renderTime || entry.loadTime;
        paints.disconnect();
        painted();
      }
    }
  });
  paints.observe({ type: "element" });
  const mutations = new MutationObserver(() => {
    if (probe.clickAt === undefined) return;
    if (probe.busyDomAt === undefined && studio.dataset.stage === "generating") {
      probe.busyDomAt = performance.now();
      requestAnimationFrame(() => (probe.busyAt = performance.now()));
    }
    const picture = document.querySelector("[data-testid=result-image]");
    const isNew = picture && (picture !== beforePicture || picture.getAttribute("src") !== probe.beforeSrc);
    if (isNew && studio.dataset.stage === "user_feedback") {
      mutations.disconnect();
      probe.picture = picture;
      probe.pictureDomAt = performance.now();
      // Element Timing only reports elements carrying this attribute; set before the first paint.
      picture.setAttribute("elementtiming", "bench-picture");
      picture.decode().then(
        () => (probe.pictureReadyAt = performance.now()),
        (error) => (probe.error = String(error)),
      ).finally(settle);
    }
  });
  mutations.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-stage", "src"] });
}

function timings(probe, args) {
  const beyond = (at) => (at === undefined ? undefined : at - probe.clickAt - args.latencyMs);
  return {
    busyMs: probe.busyAt - probe.clickAt,
    busyDomMs: probe.busyDomAt - probe.clickAt,
    readyBeyondMs: beyond(probe.pictureReadyAt),
    paintBeyondMs: beyond(probe.picturePaintAt),
    domBeyondMs: beyond(probe.pictureDomAt),
    fetchMs: probe.fetchAt - probe.clickAt,
    answerBeyondMs: beyond(probe.answerAt),
    answerToPaintMs: probe.picturePaintAt - probe.answerAt,
    answerToDomMs: probe.pictureDomAt - probe.answerAt,
    clickEpochMs: probe.timeOrigin + probe.clickAt,
    readyEpochMs: probe.timeOrigin + probe.pictureReadyAt,
    scheme: probe.src,
  };
}

// Two views of CPU: the page's main thread as Chromium counts it (CDP Performance.getMetrics
// TaskDuration / ScriptDuration, seconds), and every thread of every chromium process this
// script started (per-thread schedstat, nanoseconds): renderer, image decoders, compositor,
// network service, the browser process's storage work.
async function cpu(studio) {
  const { metrics } = await studio.cdp.send("Performance.getMetrics");
  const metric = (name) => metrics.find((m) => m.name === name)?.value ?? 0;
  return { task: metric("TaskDuration"), script: metric("ScriptDuration"), processNs: chromiumCpuNs() };
}

function cpuDelta(before, after) {
  return {
    mainThreadMs: (after.task - before.task) * 1000,
    scriptMs: (after.script - before.script) * 1000,
    chromiumMs: (after.processNs - before.processNs) / 1e6,
  };
}

async function idleCpu(studio, windowMs) {
  const before = await cpu(studio);
  await studio.page.waitForTimeout(windowMs);
  return cpuDelta(before, await cpu(studio));
}

// Total CPU time of every descendant of this node process (the chromium tree), from
// /proc/<pid>/task/<tid>/schedstat: nanosecond precision, where /proc/<pid>/stat counts 10 ms ticks.
function chromiumCpuNs() {
  const parents = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readOr(`/proc/${name}/stat`);
    // The command name is in parentheses and may hold spaces: parse after its closing one.
    const fields = stat?.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields) parents.set(Number(name), Number(fields[1]));
  }
  const descendants = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, parent] of parents) {
      if (descendants.has(parent) && !descendants.has(pid)) {
        descendants.add(pid);
        grew = true;
      }
    }
  }
  descendants.delete(process.pid);
  let total = 0;
  for (const pid of descendants) {
    for (const tid of readdirOr(`/proc/${pid}/task`)) {
      total += Number(readOr(`/proc/${pid}/task/${tid}/schedstat`)?.split(" ")[0] ?? 0);
    }
  }
  return total;
}

// Processes and threads come and go while we read /proc.
function readOr(file) {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function readdirOr(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

// `count` visitors, each in its own browser context, click Generate at once.
async function visitors(browser, args) {
  const contexts = await Promise.all(Array.from({ length: args.visitors }, () => browser.newContext()));
  try {
    const studios = await Promise.all(contexts.map((context) => openStudio(context, args)));
    await Promise.all(
      studios.map((s, i) => s.page.getByTestId("prompt-input").fill(`a harbour at night, visitor ${i + 1}`)),
    );
    const clicks = await Promise.all(studios.map((s) => clicker(s.page, "generate-button")));
    await Promise.all(studios.map((s) => s.page.evaluate(armProbe)));
    await scriptMock(args, args.visitors);
    const before = chromiumCpuNs();
    await Promise.all(clicks.map((click) => click()));
    const probes = await Promise.all(studios.map((s) => finishedProbe(s.page, args)));
    await studios[0].page.waitForTimeout(SETTLE_MS);
    const chromiumMs = (chromiumCpuNs() - before) / 1e6;
    const errors = studios.flatMap((s) => s.errors);
    if (errors.length) throw new Error(`a page threw: ${errors.join("; ")}`);
    return { samples: probes.map((probe) => timings(probe, args)), chromiumMs };
  } finally {
    await Promise.all(contexts.map((context) => context.close()));
  }
}

const ms = (value) => (value === undefined || Number.isNaN(value) ? "n/a" : `${value.toFixed(1)} ms`);

function summary(values) {
  const known = values.filter((v) => v !== undefined && !Number.isNaN(v));
  if (!known.length) return "n/a";
  return `median ${ms(percentile(known, 50))} (min ${ms(Math.min(...known))}, max ${ms(Math.max(...known))}, n=${known.length})`;
}

function report(args, samples, idle) {
  const line = (text) => console.log(`browser_generation ${text}`);
  const field = (name, list = samples) => list.map((s) => s[name]);
  line(
    `setup: ${args.runs} sessions × (1 generate + ${args.regenerates} regenerates), provider latency ${args.latencyMs} ms, ` +
      `picture URL scheme ${[...new Set(field("scheme"))].join(", ")}`,
  );
  line(`click to picture painted, beyond provider latency: ${summary(field("paintBeyondMs"))}`);
  line(`click to picture decoded, beyond provider latency: ${summary(field("readyBeyondMs"))}`);
  for (const kind of ["generate", "regenerate"]) {
    const some = samples.filter((s) => s.kind === kind);
    if (some.length) line(`  ${kind}: painted ${summary(field("paintBeyondMs", some))}`);
  }
  line(`click to picture element in the page, beyond provider latency: ${summary(field("domBeyondMs"))}`);
  line(`  of which server side (click to the answer's last byte, beyond latency): ${summary(field("answerBeyondMs"))}`);
  line(`  of which browser side (answer's last byte to picture painted): ${summary(field("answerToPaintMs"))}; to the element: ${summary(field("answerToDomMs"))}`);
  line(`  click to request sent: ${summary(field("fetchMs"))}`);
  line(`busy state: click to first frame showing it ${summary(field("busyMs"))}; in the DOM after ${summary(field("busyDomMs"))}`);
  line(`CPU per generation, page main thread (CDP TaskDuration): ${summary(field("mainThreadMs"))}; of which script ${summary(field("scriptMs"))}`);
  line(`CPU per generation, all chromium processes (schedstat): ${summary(field("chromiumMs"))}`);
  line(
    `CPU idle for the same ${args.latencyMs + SETTLE_MS} ms window: main thread ${summary(idle.map((i) => i.mainThreadMs))}, ` +
      `all chromium ${summary(idle.map((i) => i.chromiumMs))}`,
  );
  for (const s of samples) {
    line(
      `  sample ${s.kind}: painted +${ms(s.paintBeyondMs)}, decoded +${ms(s.readyBeyondMs)}, busy ${ms(s.busyMs)}, ` +
        `main thread ${ms(s.mainThreadMs)}, chromium ${ms(s.chromiumMs)}`,
    );
  }
}

function reportVisitors(args, { samples, chromiumMs }) {
  const line = (text) => console.log(`browser_generation ${text}`);
  const firstClick = Math.min(...samples.map((s) => s.clickEpochMs));
  const lastClick = Math.max(...samples.map((s) => s.clickEpochMs));
  const lastPicture = Math.max(...samples.map((s) => s.readyEpochMs));
  line(
    `${args.visitors} concurrent visitors at ${args.latencyMs} ms: wall ${ms(lastPicture - firstClick)} from the first click ` +
      `to the last picture decoded (clicks spread over ${ms(lastClick - firstClick)})`,
  );
  line(`  per visitor, click to picture decoded beyond latency: ${summary(samples.map((s) => s.readyBeyondMs))}`);
  line(`  per visitor, busy state: ${summary(samples.map((s) => s.busyMs))}`);
  line(`  all chromium CPU: ${ms(chromiumMs)} in all, ${ms(chromiumMs / args.visitors)} per visitor`);
}
