import { test, expect } from "./studio";

test.describe("OpenAI engine (against mock-providers' OpenAI)", () => {
  test("uses the configured OpenAI-compatible server and shows how the picture was made", async ({ studio, mock }) => {
    await studio.open();
    await expect(studio.el("engine-name")).toHaveText("OpenAI · gpt-image-1");
    // With OPENAI_API_KEY set: OpenAI (Responses), OpenAI Images and the offline engine; the
    // engines without their keys are listed, disabled.
    await expect(studio.el("engine-select").locator("option:not([disabled])")).toHaveCount(3);
    await studio.el("size-select").selectOption("1536x1024");
    await studio.el("quality-select").selectOption("high");
    // The price list's figure for the chosen quality (with two previews at $0.004), before and after.
    await expect(studio.el("cost-estimate")).toHaveText(" · about $0.175");
    await studio.generateAndReview("a lighthouse at dawn");
    await expect(studio.el("detail-cost")).toHaveText("$0.175");
    await expect(studio.el("session-spent")).toHaveText("Spent this session: $0.175");
    await expect(studio.el("detail-provider")).toHaveText("OpenAI");
    await expect(studio.el("detail-revised-prompt")).toHaveText("A detailed rendering of: a lighthouse at dawn");
    await expect(studio.el("detail-retries")).toHaveText("0");
    const calls = await mock.calls();
    expect(calls.count).toBe(1);
    expect(calls.responses).toHaveLength(1);
    expect(calls.responses[0]).toMatchObject({
      input: "a lighthouse at dawn",
      tools: [{ type: "image_generation", size: "1536x1024", quality: "high", output_format: "png" }],
    });
  });

  test("refine builds on the shown attempt through previous_response_id", async ({ studio, mock }) => {
    await studio.open();
    await studio.generateAndReview("a lighthouse at dawn");
    await studio.el("refine-input").fill("warmer light");
    await studio.el("refine-input").press("Control+Enter");
    await expect(studio.el("attempt-item")).toHaveCount(2);
    await expect(studio.el("detail-revised-prompt")).toHaveText(/refined: .*warmer light/);
    const calls = await mock.calls();
    expect(calls.responses).toHaveLength(2);
    expect(calls.responses[1].previous_response_id).toMatch(/^resp_/);
    expect(calls.responses[1].input).toContain("warmer light");
  });

  test("429 then success shows the image and the retry count", async ({ studio, mock }) => {
    await mock.script([{ respond: "rate_limited", retry_after_ms: 300 }, { respond: "image" }]);
    await studio.open();
    await studio.generateAndReview("a busy harbour");
    await expect(studio.el("detail-retries")).toHaveText("1");
    const calls = await mock.calls();
    expect(calls.count).toBe(2);
    expect(calls.responses).toHaveLength(2);
  });

  test("a rejected API key shows its message after exactly one provider call, and loses nothing", async ({ studio, mock, page }) => {
    await mock.script([{ respond: "invalid_api_key" }]);
    await studio.open();
    await studio.generate("a quiet library");
    await expect(studio.el("error-message")).toHaveText("OpenAI rejected the API key (401): check OPENAI_API_KEY");
    await studio.expectStage("initial_input");
    await expect(studio.el("prompt-input")).toHaveValue("a quiet library");
    const calls = await mock.calls();
    expect(calls.count).toBe(1);
    expect(calls.responses).toHaveLength(1);
    expect(await page.content(), "no part of the key reaches the page").not.toContain("sk-");
  });

  test("a moderation block shows its message after exactly one provider call", async ({ studio, mock }) => {
    await mock.script([{ respond: "moderation_blocked" }]);
    await studio.open();
    await studio.generate("something the safety system rejects");
    await expect(studio.el("error-message")).toContainText("The prompt was blocked by OpenAI's safety system");
    const calls = await mock.calls();
    expect(calls.count).toBe(1);
    expect(calls.responses).toHaveLength(1);
  });

  test("a failed regenerate keeps every earlier attempt", async ({ studio, mock }) => {
    await studio.open();
    await studio.generateAndReview("a red kite");
    await mock.script([{ respond: "server_error" }, { respond: "server_error" }, { respond: "server_error" }]);
    await studio.el("regenerate-button").click();
    await expect(studio.el("error-message")).toContainText("OpenAI had a server error (500); retried 2 times");
    await studio.expectStage("user_feedback");
    await expect(studio.el("attempt-item")).toHaveCount(1);
    await expect(studio.el("result-image")).toBeVisible();
  });

  test("cancel stops the request and the server's provider call", async ({ studio, mock }) => {
    await mock.script([{ respond: "image", delay_ms: 30_000 }]);
    await studio.open();
    await studio.generate("a very slow picture");
    await studio.expectStage("generating");
    await expect(studio.el("elapsed")).toHaveText(/^\d+ s elapsed$/);
    await expect(studio.el("cancel-button")).toBeFocused();
    await expect.poll(async () => (await mock.calls()).count).toBe(1);
    await studio.el("cancel-button").click();
    await studio.expectStage("initial_input");
    await expect(studio.el("prompt-input")).toHaveValue("a very slow picture");
    await expect.poll(async () => (await mock.calls()).cancelled, { message: "the provider call was aborted" }).toBe(1);
  });

  test("a reload during a generation returns to the prompt and says why", async ({ studio, mock, page }) => {
    await mock.script([{ respond: "image", delay_ms: 30_000 }]);
    await studio.open();
    await studio.generate("a picture interrupted by a reload");
    await studio.expectStage("generating");
    await page.reload();
    await studio.waitReady();
    await studio.expectStage("initial_input");
    await expect(studio.el("prompt-input")).toHaveValue("a picture interrupted by a reload");
    await expect(studio.el("info-message")).toContainText("reloaded during a generation");
  });
});

test.describe("OpenAI engine, in Simplified Chinese (Accept-Language: zh-CN)", () => {
  test.use({ locale: "zh-CN" });

  test("a provider's failure is explained in the page's language", async ({ studio, mock }) => {
    await mock.script([{ respond: "invalid_api_key" }]);
    await studio.open();
    await studio.generate("安静的图书馆");
    await expect(studio.el("error-message")).toHaveText("OpenAI 拒绝了 API 密钥（401）：请检查 OPENAI_API_KEY");
    await expect(studio.el("prompt-input")).toHaveValue("安静的图书馆");
  });
});
