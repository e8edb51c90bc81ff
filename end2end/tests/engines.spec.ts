import { test as base, expect } from "./studio";
import type { APIRequestContext } from "@playwright/test";

/** The mock-providers server's control API. */
class MockProviders {
  constructor(readonly request: APIRequestContext, readonly base: string) {}

  async reset() {
    expect((await this.request.post(`${this.base}/__mock/reset`)).status()).toBeLessThan(300);
  }

  async calls(provider: string): Promise<{ requests: { path: string; body: any }[] }> {
    return (await this.request.get(`${this.base}/__mock/calls?provider=${provider}`)).json();
  }
}

const test = base.extend<{ providers: MockProviders }>({
  providers: async ({ request }, use) => {
    const port = Number(process.env.E2E_PROVIDERS_PORT ?? 4120);
    const providers = new MockProviders(request, `http://127.0.0.1:${port}`);
    await providers.reset();
    await use(providers);
  },
});

test.describe("Engines against mock-providers", () => {
  for (const [engine, provider, label] of [
    ["gemini", "gemini", "Gemini"],
    ["ideogram", "ideogram", "Ideogram"],
    ["replicate", "replicate", "Replicate"],
    ["doubao", "ark", "Doubao"],
    ["a1111", "a1111", "Stable Diffusion"],
  ] as const) {
    test(`${engine} makes a picture that appears`, async ({ studio, providers }) => {
      await studio.open();
      await studio.el("engine-select").selectOption(engine);
      await studio.generateAndReview("a lighthouse at dusk");
      await expect(studio.el("detail-provider")).toContainText(label);
      const calls = await providers.calls(provider);
      expect(calls.requests.length).toBeGreaterThan(0);
    });
  }

  test("a palette reaches Ideogram as its color_palette field", async ({ studio, providers }) => {
    await studio.open();
    await studio.el("engine-select").selectOption("ideogram");
    await studio.el("palette-select").selectOption("EMBER");
    await studio.generateAndReview("a lighthouse at dusk");
    const calls = await providers.calls("ideogram");
    const generate = calls.requests.find((r) => r.path.endsWith("/generate"));
    const palette = generate?.body.parts.find((p: { name: string }) => p.name === "color_palette");
    expect(JSON.parse(palette.text)).toEqual({ name: "EMBER" });
  });

  test("Gemini's reply is shown with its picture", async ({ studio }) => {
    await studio.open();
    await studio.el("engine-select").selectOption("gemini");
    await studio.generateAndReview("a lighthouse at dusk");
    await expect(studio.el("detail-reply")).not.toBeEmpty();
  });
});
