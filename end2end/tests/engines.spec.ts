import { test as base, expect, png } from "./studio";
import type { APIRequestContext } from "@playwright/test";

/** The mock-providers server's control API. */
class MockProviders {
  constructor(readonly request: APIRequestContext, readonly base: string) {}

  async reset() {
    expect((await this.request.post(`${this.base}/__mock/reset`)).status()).toBeLessThan(300);
  }

  async script(steps: object[]) {
    expect((await this.request.post(`${this.base}/__mock/script`, { data: { steps } })).status()).toBe(204);
  }

  async calls(
    provider: string,
  ): Promise<{ predictions_cancelled: number; requests: { method: string; path: string; body: any }[] }> {
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
    ["openai-images", "openai", "OpenAI Images"],
    ["jimeng", "jimeng", "Jimeng"],
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

  test("OpenAI Images streams rough previews, shown while it draws, then the picture", async ({ studio, providers }) => {
    // Two previews, then the picture: 1.5 s apart, so the page (asking once a second) sees one.
    await providers.script([{ provider: "openai", respond: "images", delay_ms: 4500 }]);
    await studio.open();
    await studio.el("engine-select").selectOption("openai-images");
    await studio.generate("a lighthouse at dusk");
    await expect(studio.el("generation-progress")).toHaveText(/^Drawing: (a first rough preview|rough preview 2)$/);
    const preview = studio.el("generation-preview");
    await expect.poll(() => preview.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
    await studio.expectStage("user_feedback");
    await expect(studio.el("generation-preview")).toHaveCount(0);
    const sent = (await providers.calls("openai")).requests.at(-1)!.body.value;
    expect([sent.stream, sent.partial_images]).toEqual([true, 2]);
  });

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

  test("a reference image reaches Gemini as an inline part and shows beside its picture", async ({ studio, providers, page }) => {
    await studio.open();
    await studio.el("engine-select").selectOption("gemini");
    await expect(studio.el("reference-count")).toHaveText("0 of 3");
    const reference = await png(page, "#c03030");
    await studio.el("reference-input").setInputFiles([{ name: "ref.png", mimeType: "image/png", buffer: reference }]);
    await expect(studio.el("reference")).toHaveCount(1);
    await studio.generateAndReview("a lighthouse at dusk");
    await expect(studio.el("used-reference")).toHaveCount(1);
    const calls = await providers.calls("gemini");
    const parts = calls.requests.at(-1)!.body.value.contents[0].parts;
    expect(parts[1].inlineData).toEqual({ mimeType: "image/png", data: reference.toString("base64") });
  });

  test("switching to a model that takes fewer references says so and waits for a removal", async ({ studio, page }) => {
    await studio.open();
    const files = await Promise.all(
      ["#202020", "#606060"].map(async (colour, i) => ({ name: `r${i}.png`, mimeType: "image/png", buffer: await png(page, colour) })),
    );
    await studio.el("engine-select").selectOption("gemini");
    await studio.el("reference-input").setInputFiles(files);
    await expect(studio.el("reference")).toHaveCount(2);
    await studio.el("prompt-input").fill("a lighthouse at dusk");
    await studio.el("engine-select").selectOption("replicate");
    await expect(studio.el("references-error")).toHaveText(
      "Replicate · black-forest-labs/flux-1.1-pro takes at most 1 reference image; remove 1 of the 2.",
    );
    await expect(studio.el("generate-button")).toBeDisabled();
    await studio.el("remove-reference").first().click();
    await expect(studio.el("references-error")).toHaveCount(0);
    await expect(studio.el("generate-button")).toBeEnabled();
  });

  test("Cancel on Replicate cancels the prediction it started", async ({ studio, providers }) => {
    // A prediction that stays `processing` far longer than the test.
    await providers.script([{ provider: "replicate", respond: "succeeded", polls: 100000, run_ms: 600000 }]);
    await studio.open();
    await studio.el("engine-select").selectOption("replicate");
    await studio.generate("a lighthouse at dusk");
    await studio.expectStage("generating");
    await expect
      .poll(async () => (await providers.calls("replicate")).requests.filter((r) => r.method === "GET").length)
      .toBeGreaterThan(0); // created, and being polled
    // What Replicate says of its prediction is shown while it runs.
    await expect(studio.el("generation-progress")).toHaveText("Making the picture");
    await studio.el("cancel-button").click();
    await studio.expectStage("initial_input");
    await expect.poll(async () => (await providers.calls("replicate")).predictions_cancelled).toBe(1);
  });

  test("A1111 shows its place in the server's own queue, then how far it is", async ({ studio, providers, request }) => {
    // Someone else's job holds the server for 3 s; ours then takes 3 s.
    await providers.script([
      { provider: "a1111", respond: "images", delay_ms: 3000 },
      { provider: "a1111", respond: "images", delay_ms: 3000 },
    ]);
    const theirs = request.post(`${providers.base}/a1111/sdapi/v1/txt2img`, { data: { prompt: "someone else's" } });
    await expect.poll(async () => (await providers.calls("a1111")).requests.length).toBe(1);
    await studio.open();
    await studio.el("engine-select").selectOption("a1111");
    await studio.generate("a lighthouse at dusk");
    await expect(studio.el("generation-progress")).toHaveText("In the server's queue: 1 of 1");
    await expect(studio.el("generation-progress")).toHaveText(/^Rendering: \d+ %$/);
    await studio.expectStage("user_feedback");
    expect((await theirs).ok()).toBe(true);
  });

  test("Cancel on A1111 interrupts the job it started, so the server is free again", async ({ studio, providers }) => {
    // A job far longer than the test: only an interrupt ends it.
    await providers.script([{ provider: "a1111", respond: "images", delay_ms: 600000 }]);
    await studio.open();
    await studio.el("engine-select").selectOption("a1111");
    await studio.generate("a lighthouse at dusk");
    await expect(studio.el("generation-progress")).toHaveText(/^Rendering: \d+ %$/);
    await studio.el("cancel-button").click();
    await studio.expectStage("initial_input");
    const interrupts = async () =>
      (await providers.calls("a1111")).requests.filter((r) => r.path.endsWith("/sdapi/v1/interrupt")).length;
    await expect.poll(interrupts).toBe(1);
  });

  test("Try on runs the prompt on three engines at once, each attempt labelled, two side by side", async ({ studio, providers }) => {
    await studio.open();
    await studio.el("engine-select").selectOption("gemini");
    await studio.el("try-on-replicate").check();
    await studio.el("try-on-offline").check();
    await expect(studio.el("try-on-ideogram"), "three engines at most").toBeDisabled();
    await expect(studio.el("generate-button")).toContainText("Generate on 3 engines");
    // Gemini $0.039, FLUX 1.1 [pro] $0.04, the offline engine nothing.
    await expect(studio.el("cost-estimate")).toHaveText(" · about $0.079");
    await studio.generateAndReview("a lighthouse at dusk");
    await expect(studio.el("attempt-item")).toHaveCount(3);
    await expect(studio.el("compare-image")).toBeVisible();
    const labels = await studio.el("attempt-item").evaluateAll((items) => items.map((i) => i.getAttribute("aria-label")));
    const engines = labels.map((label) => label!.replace(/^Open attempt \d+ \((.*)\)$/, "$1")).sort();
    expect(engines).toEqual(["Gemini", "Offline engine", "Replicate"]);
    expect((await providers.calls("gemini")).requests.length).toBe(1);
    const creates = (await providers.calls("replicate")).requests.filter((r) => r.method === "POST");
    expect(creates.length).toBe(1);
  });

  test("Gemini's reply is shown with its picture", async ({ studio }) => {
    await studio.open();
    await studio.el("engine-select").selectOption("gemini");
    await studio.generateAndReview("a lighthouse at dusk");
    await expect(studio.el("detail-reply")).not.toBeEmpty();
  });
});
