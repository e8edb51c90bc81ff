import { readFile } from "node:fs/promises";
import { test, expect, pngTextChunks } from "./studio";

test.describe("offline engine (no API key)", () => {
  test("the page runs under a Content-Security-Policy with a per-page nonce", async ({ studio, page }) => {
    const response = await page.goto("/");
    const policy = response!.headers()["content-security-policy"];
    expect(policy).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]+' 'wasm-unsafe-eval'/);
    expect(policy).toContain("frame-ancestors 'none'");
    await studio.waitReady();
    // The whole loop under the policy; the fixture fails the test on any refusal.
    await studio.generateAndReview("a policy-abiding kite");
    await studio.el("approve-button").click();
    await studio.expectStage("final");
  });

  test("the whole loop: generate, regenerate, refine, compare, approve, download, start over", async ({ studio, page }) => {
    await studio.open();
    await expect(studio.el("engine-name")).toHaveText(/Offline engine/);
    await expect(studio.el("cost-estimate")).toHaveText(" · no charge");
    await expect(studio.el("generate-button")).toBeDisabled();

    await studio.generateAndReview("a red barn under a teal sky");
    const first = await studio.el("result-image").getAttribute("src");
    expect(first).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
    await expect(studio.el("detail-provider")).toHaveText("Offline engine");

    await studio.el("regenerate-button").click();
    await expect(studio.el("attempt-item")).toHaveCount(2);
    const second = await studio.el("result-image").getAttribute("src");
    expect(second, "a regenerate is a new picture").not.toEqual(first);

    await studio.el("refine-input").fill("warmer light, no text");
    await studio.el("refine-button").click();
    await expect(studio.el("attempt-item")).toHaveCount(3);
    await expect(studio.el("refine-input")).toHaveValue("");
    await expect(page.getByText("refined: “warmer light, no text”")).toBeVisible();

    await studio.el("compare-select").selectOption({ label: "Attempt 1" });
    await expect(studio.el("compare-image")).toHaveAttribute("src", first!);
    await expect(studio.el("result-image")).toBeVisible();

    await studio.el("attempt-item").nth(1).click();
    await expect(studio.el("result-image")).toHaveAttribute("src", second!);
    await studio.el("attempt-item").nth(2).click();

    // Approve and Start over are decisions of the browser alone: no server round trip.
    const apiCalls: string[] = [];
    page.on("request", (request) => {
      if (new URL(request.url()).pathname.startsWith("/api/")) apiCalls.push(request.url());
    });
    await studio.el("approve-button").click();
    await studio.expectStage("final");
    await expect(studio.el("final-image")).toBeVisible();

    const [download] = await Promise.all([page.waitForEvent("download"), studio.el("download-link").click()]);
    expect(download.suggestedFilename()).toBe("proofsheet-a-red-barn-under-a-teal-3.png");
    const png = await readFile((await download.path())!);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    const provenance = JSON.parse(pngTextChunks(png)["proofsheet:provenance"]);
    expect(provenance).toMatchObject({
      prompt: "a red barn under a teal sky",
      refinements: ["warmer light, no text"],
      engine: "offline",
      provider: "Offline engine",
      size: "1024x1024",
    });
    expect(provenance.app).toMatch(/^Proofsheet \d+\.\d+\.\d+$/);

    await studio.el("start-over-button").click();
    await studio.expectStage("initial_input");
    await expect(studio.el("prompt-input")).toHaveValue("");
    await expect(studio.el("prompt-input")).toBeFocused();
    expect(apiCalls, "approve, download and start over stay in the browser").toEqual([]);
  });

  test("an engine without its key is listed, disabled, with the variable to set", async ({ studio }) => {
    await studio.open();
    const openai = studio.el("engine-select").locator("option[value=openai]");
    await expect(openai).toBeDisabled();
    await expect(openai).toHaveText("OpenAI (not set up)");
    await expect(studio.el("engine-select")).toHaveValue("offline");
    const hints = studio.el("unavailable-engines").locator("li");
    await expect(hints).toContainText([
      "Set OPENAI_API_KEY on the server to use OpenAI.",
      "Set GEMINI_API_KEY on the server to use Gemini.",
      "Set REPLICATE_API_TOKEN on the server to use Replicate.",
    ]);
  });

  test("a template fills the prompt and the palette, and the picture shows the prompt as sent", async ({ studio, page }) => {
    await studio.open();
    await studio.el("template-picker").locator("summary").click();
    await studio.el("template-select").selectOption("agent-thumbnail");
    await studio.el("template-slot-name").fill("Scout");
    await studio.el("template-slot-description").fill("research agent");
    await studio.el("template-apply").click();
    await expect(studio.el("prompt-input")).toHaveValue(/prominently featuring "Scout" in bold typography/);
    // The offline engine draws no 16:9, so the size falls back and the form says so.
    await expect(studio.el("info-message")).toContainText("size 16:9 → 1024x1024");
    await expect(studio.el("palette-select")).toHaveValue("custom");
    await expect(studio.el("palette-colours")).toHaveValue("#000030, #1C0C47, #9900FF, #4285F4, #FFFFFF");
    await studio.el("generate-button").click();
    await studio.expectStage("user_feedback");
    await expect(studio.el("detail-sent-prompt")).toContainText("Colour palette: #000030 (100%), #1C0C47 (80%)");
    await expect(page.getByText("research agent").first()).toBeVisible();
  });

  test("colours that are not colours are refused as they are typed", async ({ studio }) => {
    await studio.open();
    await studio.el("palette-select").selectOption("custom");
    await studio.el("palette-colours").fill("#000030, teal");
    await expect(studio.el("palette-error")).toHaveText('"teal" is not a colour; write it as #rgb or #rrggbb.');
    await studio.el("palette-colours").fill("#000030, #008080");
    await expect(studio.el("palette-error")).toHaveCount(0);
  });

  test("Ctrl+Enter generates from the prompt box", async ({ studio }) => {
    await studio.open();
    await studio.el("prompt-input").fill("icy blue mountains at night");
    await studio.el("prompt-input").press("Control+Enter");
    await studio.expectStage("user_feedback");
    await expect(studio.el("approve-button")).toBeFocused();
  });

  test("a prompt over the limit is refused with a message that says so", async ({ studio }) => {
    await studio.open();
    await studio.el("prompt-input").fill("x".repeat(32_001));
    await expect(studio.el("error-message")).toHaveText(
      "The prompt is 32001 characters long; Offline engine accepts at most 32000.",
    );
    await expect(studio.el("generate-button")).toBeDisabled();
    await studio.el("prompt-input").press("End");
    await studio.el("prompt-input").press("Backspace");
    await expect(studio.el("error-message")).toHaveCount(0);
    await expect(studio.el("generate-button")).toBeEnabled();
  });

  test("a refresh brings back the stage, the prompt, the attempts and the approved image", async ({ studio, page }) => {
    await studio.open();
    await studio.el("prompt-input").fill("a golden field");
    await page.reload();
    await studio.waitReady();
    await expect(studio.el("prompt-input"), "a typed prompt survives").toHaveValue("a golden field");

    await studio.el("generate-button").click();
    await studio.expectStage("user_feedback");
    await studio.el("regenerate-button").click();
    await expect(studio.el("attempt-item")).toHaveCount(2);
    await page.reload();
    await studio.waitReady();
    await studio.expectStage("user_feedback");
    await expect(studio.el("attempt-item")).toHaveCount(2);

    await studio.el("attempt-item").first().click();
    const approved = await studio.el("result-image").getAttribute("src");
    await studio.el("approve-button").click();
    await page.reload();
    await studio.waitReady();
    await studio.expectStage("final");
    await expect(studio.el("final-image")).toHaveAttribute("src", approved!);
  });

  test("when browser storage is full the person is told, and the session still works", async ({ studio, page }) => {
    await studio.open();
    // Fill localStorage to within a few kilobytes of its quota.
    await page.evaluate(() => {
      let chunk = "x".repeat(1 << 20);
      for (let i = 0; chunk.length > 1000; ) {
        try {
          localStorage.setItem(`filler-${i++}`, chunk);
        } catch {
          chunk = chunk.slice(0, chunk.length / 2);
        }
      }
    });
    await studio.generateAndReview("a blue boat");
    await expect(studio.el("storage-note")).toContainText("Browser storage is full");
    await studio.el("approve-button").click();
    await studio.expectStage("final");
  });

  test("works on a phone-width screen without sideways scrolling", async ({ studio, page }) => {
    await page.setViewportSize({ width: 360, height: 740 });
    await studio.open();
    await studio.generateAndReview("a purple kite over green hills");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await expect(studio.el("approve-button")).toBeInViewport({ ratio: 0.1 });
  });

  test("status changes are announced to screen readers", async ({ studio }) => {
    await studio.open();
    await expect(studio.el("announcer")).toHaveAttribute("aria-live", "polite");
    await studio.generateAndReview("a lighthouse");
    await expect(studio.el("announcer")).toHaveText("Attempt 1 of 1 ready for review.");
  });
});
