import { defineConfig, devices } from "@playwright/test";
import chromiumArgs from "./chromium-args.json";

// App servers run side by side: one with no API key (the offline engine only), one configured
// for OpenAI but pointed at a mock-providers instance of its own, one requiring a sign-in, and one
// whose other engines (Gemini, Ideogram, Replicate, Doubao, A1111) use a second mock-providers,
// so every test sees a fixed setup. Ports are overridable so a developer's running app does not
// collide with the suite.
export const OFFLINE_PORT = Number(process.env.E2E_OFFLINE_PORT ?? 3100);
export const OPENAI_PORT = Number(process.env.E2E_OPENAI_PORT ?? 3101);
/** The OpenAI app's mock (mock-providers, accepting only that app's key). */
export const MOCK_PORT = Number(process.env.E2E_MOCK_PORT ?? 4110);
export const ACCESS_PORT = Number(process.env.E2E_ACCESS_PORT ?? 3102);
/** The mock of every other provider (mock-providers), and the app whose engines use it. */
export const PROVIDERS_PORT = Number(process.env.E2E_PROVIDERS_PORT ?? 4120);
export const ENGINES_PORT = Number(process.env.E2E_ENGINES_PORT ?? 3103);
/** The team token of the server that requires a sign-in (a test value, not a secret). */
export const ACCESS_TOKEN = "e2e-team-token-not-a-secret";
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const root = "..";

const appEnv = (port: number, extra: Record<string, string>) => ({
  LEPTOS_SITE_ROOT: "target/site",
  LEPTOS_SITE_PKG_DIR: "pkg",
  LEPTOS_OUTPUT_NAME: "proofsheet",
  LEPTOS_ENV: "PROD",
  LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
  RUST_LOG: "proofsheet=info,warn",
  // Uploaded reference images stay under target/, one directory per server.
  PROOFSHEET_DATA_DIR: `target/e2e-data/${port}`,
  ...extra,
});

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 1,
  reporter: [["list"]],
  use: { actionTimeout: 15_000, trace: "off" },
  projects: [
    {
      name: "offline",
      testMatch: /offline\..*spec\.ts/,
      use: { ...devices["Desktop Chrome"], baseURL: `http://127.0.0.1:${OFFLINE_PORT}`, launchOptions: launch() },
    },
    {
      name: "access",
      testMatch: /access\..*spec\.ts/,
      use: { ...devices["Desktop Chrome"], baseURL: `http://127.0.0.1:${ACCESS_PORT}`, launchOptions: launch() },
    },
    {
      name: "openai-mock",
      testMatch: /openai\..*spec\.ts/,
      use: { ...devices["Desktop Chrome"], baseURL: `http://127.0.0.1:${OPENAI_PORT}`, launchOptions: launch() },
    },
    {
      name: "engines",
      testMatch: /engines\..*spec\.ts/,
      use: { ...devices["Desktop Chrome"], baseURL: `http://127.0.0.1:${ENGINES_PORT}`, launchOptions: launch() },
    },
  ],
  webServer: [
    {
      // An instance of its own, so the OpenAI tests' scripts and call counts never mix with the
      // engines tests'; its OpenAI accepts only the app's key, as the real service would.
      command: `./target/release/mock-providers --addr 127.0.0.1:${MOCK_PORT} --api-key openai=sk-fake-e2e-qkzv`,
      cwd: root,
      url: `http://127.0.0.1:${MOCK_PORT}/__mock/calls`,
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      command: "./target/release/proofsheet",
      cwd: root,
      url: `http://127.0.0.1:${OFFLINE_PORT}/`,
      reuseExistingServer: false,
      timeout: 30_000,
      env: appEnv(OFFLINE_PORT, {}),
    },
    {
      command: "./target/release/proofsheet",
      cwd: root,
      url: `http://127.0.0.1:${ACCESS_PORT}/login`,
      reuseExistingServer: false,
      timeout: 30_000,
      env: appEnv(ACCESS_PORT, { PROOFSHEET_ACCESS_TOKEN: ACCESS_TOKEN }),
    },
    {
      command: "./target/release/proofsheet",
      cwd: root,
      url: `http://127.0.0.1:${OPENAI_PORT}/`,
      reuseExistingServer: false,
      timeout: 30_000,
      env: appEnv(OPENAI_PORT, {
        OPENAI_API_KEY: "sk-fake-e2e-qkzv",
        OPENAI_BASE_URL: `http://127.0.0.1:${MOCK_PORT}/openai/v1`,
        // Short, fixed backoff so retry tests take well under a second.
        PROOFSHEET_RETRY_BASE_DELAY_MS: "100",
        PROOFSHEET_RETRY_JITTER: "false",
      }),
    },
    {
      command: `./target/release/mock-providers --addr 127.0.0.1:${PROVIDERS_PORT}`,
      cwd: root,
      url: `http://127.0.0.1:${PROVIDERS_PORT}/__mock/calls`,
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      command: "./target/release/proofsheet",
      cwd: root,
      url: `http://127.0.0.1:${ENGINES_PORT}/`,
      reuseExistingServer: false,
      timeout: 30_000,
      env: appEnv(ENGINES_PORT, {
        // Test values, not secrets; the mock accepts any non-empty key.
        GEMINI_API_KEY: "e2e-gemini-key-qkzv",
        REPLICATE_API_TOKEN: "e2e-replicate-token-qkzv",
        IDEOGRAM_API_KEY: "e2e-ideogram-key-qkzv",
        ARK_API_KEY: "e2e-ark-key-qkzv",
        GEMINI_BASE_URL: `http://127.0.0.1:${PROVIDERS_PORT}/gemini`,
        REPLICATE_BASE_URL: `http://127.0.0.1:${PROVIDERS_PORT}/replicate/v1`,
        IDEOGRAM_BASE_URL: `http://127.0.0.1:${PROVIDERS_PORT}/ideogram`,
        ARK_BASE_URL: `http://127.0.0.1:${PROVIDERS_PORT}/ark/api/v3`,
        A1111_BASE_URL: `http://127.0.0.1:${PROVIDERS_PORT}/a1111`,
        // The Images API engine gets a key of its own, so the Responses engine (which would
        // call api.openai.com) stays unconfigured here.
        PROOFSHEET_PROVIDER__OPENAI_IMAGES__KEY_ENV: "E2E_IMAGES_KEY",
        E2E_IMAGES_KEY: "e2e-images-key-qkzv",
        PROOFSHEET_PROVIDER__OPENAI_IMAGES__BASE_URL: `http://127.0.0.1:${PROVIDERS_PORT}/openai/v1`,
        // A jimeng-style proxy, added as configuration only (as Leptos.toml's commented example).
        PROOFSHEET_PROVIDER__JIMENG__KIND: "openai-images",
        PROOFSHEET_PROVIDER__JIMENG__LABEL: "Jimeng",
        PROOFSHEET_PROVIDER__JIMENG__KEY_ENV: "JIMENG_SESSION",
        JIMENG_SESSION: "e2e-jimeng-session-qkzv",
        PROOFSHEET_PROVIDER__JIMENG__BASE_URL: `http://127.0.0.1:${PROVIDERS_PORT}/jimeng/v1`,
        PROOFSHEET_PROVIDER__JIMENG__SIZE_PARAM: "ratio",
        PROOFSHEET_PROVIDER__JIMENG__QUALITY_PARAM: "resolution",
        PROOFSHEET_PROVIDER__JIMENG__RESPONSE_FORMAT: "b64_json",
        PROOFSHEET_PROVIDER__JIMENG__MODELS: '[{id = "jimeng-4.5", sizes = ["1:1", "16:9"], qualities = ["2k", "1k"]}]',
        PROOFSHEET_RETRY_BASE_DELAY_MS: "100",
        PROOFSHEET_RETRY_JITTER: "false",
      }),
    },
  ],
});

function launch() {
  return {
    executablePath,
    // Playwright adds --headless and --no-sandbox itself; these keep chromium off the network
    // (the browser benchmarks launch it with the same list).
    args: chromiumArgs,
  };
}
