import { test, expect } from "./studio";

test.describe("in Simplified Chinese (Accept-Language: zh-CN)", () => {
  test.use({ locale: "zh-CN" });

  test("the page speaks Chinese from the first byte, and the whole loop works in it", async ({ studio, page }) => {
    const response = await page.goto("/");
    // Server-rendered in Chinese, so hydration finds the same words.
    expect(await response!.text()).toContain("描述你想要的图片");
    await studio.waitReady();
    await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
    await expect(page.getByText("描述你想要的图片")).toBeVisible();
    await expect(studio.el("cost-estimate")).toHaveText(" · 免费");
    await studio.generateAndReview("雨后的竹林，水墨风格");
    await expect(studio.el("approve-button")).toHaveText("通过第 1 次尝试");
    await expect(studio.el("announcer")).toHaveText("第 1 次尝试（共 1 次）可以审阅了。");
  });

  test("engines without their keys say in Chinese what to set", async ({ studio }) => {
    await studio.open();
    await expect(studio.el("unavailable-engines").locator("li")).toContainText([
      "请在服务器上设置 OPENAI_API_KEY，才能使用 OpenAI。",
      "请在服务器上设置 GEMINI_API_KEY，才能使用 Gemini。",
    ]);
  });

  test("a prompt too long is explained in Chinese as it is typed", async ({ studio }) => {
    await studio.open();
    await studio.el("prompt-input").fill("竹".repeat(32_001));
    await expect(studio.el("error-message")).toHaveText("提示词长 32001 个字符；Offline engine 最多接受 32000 个。");
    await expect(studio.el("generate-button")).toBeDisabled();
  });

  test("refused uploads are explained in Chinese, by the page and by the server", async ({ studio }) => {
    await studio.open();
    await studio.el("reference-input").setInputFiles([
      { name: "notes.png", mimeType: "image/png", buffer: Buffer.from("these are my notes, not a picture\n") },
      { name: "huge.jpg", mimeType: "image/jpeg", buffer: Buffer.alloc(30_000_000, 0xff) },
    ]);
    const errors = studio.el("upload-error");
    await expect(errors).toHaveCount(2);
    // The server's refusal, in the language the upload's request asked for.
    await expect(errors.filter({ hasText: "notes.png" })).toContainText("此文件不是 PNG、JPEG 或 WebP 图片");
    // The page's own, before sending.
    await expect(errors.filter({ hasText: "huge.jpg" })).toContainText("此图片为 30 MB；参考图最大 20 MB。");
  });
});

test.describe("the language switch", () => {
  test("switches to Chinese and back, remembered across reloads, keeping the session", async ({ studio, page }) => {
    await studio.open();
    await expect(page.locator("html")).toHaveAttribute("lang", "en");
    await studio.el("prompt-input").fill("a paper lantern");
    await expect(studio.el("language-switch")).toHaveText("中文");
    await studio.el("language-switch").click();
    await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
    await studio.waitReady();
    await expect(studio.el("generate-button")).toContainText("生成");
    await expect(studio.el("prompt-input"), "the draft survives the switch").toHaveValue("a paper lantern");

    await page.reload();
    await studio.waitReady();
    await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");

    await studio.el("language-switch").click();
    await expect(page.locator("html")).toHaveAttribute("lang", "en");
    await studio.waitReady();
    await expect(studio.el("generate-button")).toContainText("Generate");
  });
});
