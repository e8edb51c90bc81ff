import type { Page } from "@playwright/test";
import { test, expect, png } from "./studio";

/** CRC-32 as PNG chunks use it. */
function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A valid PNG signature and header declaring 100000×100000 pixels, in under 50 bytes. */
function decompressionBomb(): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(100_000, 0);
  header.writeUInt32BE(100_000, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const typed = Buffer.concat([Buffer.from("IHDR"), header]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(13);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), length, typed, crc]);
}

/** Drops `files` on the page as a person dragging them from a file manager would. */
async function drop(page: Page, files: { name: string; mimeType: string; buffer: Buffer }[]) {
  const transfer = await page.evaluateHandle((files) => {
    const transfer = new DataTransfer();
    for (const file of files) {
      const bytes = Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0));
      transfer.items.add(new File([bytes], file.name, { type: file.mimeType }));
    }
    return transfer;
  }, files.map((f) => ({ name: f.name, mimeType: f.mimeType, base64: f.buffer.toString("base64") })));
  await page.dispatchEvent("[data-testid=prompt-input]", "dragover", { dataTransfer: transfer });
  await page.dispatchEvent("[data-testid=prompt-input]", "drop", { dataTransfer: transfer });
}

test.describe("reference images (offline engine)", () => {
  test("chosen files upload with a thumbnail, go with the prompt and show beside the result", async ({ studio, page }) => {
    await studio.open();
    await expect(studio.el("reference-count")).toHaveText("0 of 4");
    const red = await png(page, "#d02020");
    const green = await png(page, "#20b040");
    await studio.el("reference-input").setInputFiles([
      { name: "red.png", mimeType: "image/png", buffer: red },
      { name: "green.png", mimeType: "image/png", buffer: green },
    ]);
    await expect(studio.el("reference")).toHaveCount(2);
    await expect(studio.el("reference-count")).toHaveText("2 of 4");
    await expect(studio.el("reference-upload")).toHaveCount(0);
    const ids = await studio.el("reference").evaluateAll((items) => items.map((i) => i.getAttribute("data-reference-id")));
    // Each thumbnail is the stored picture, served back by the server.
    for (const thumbnail of await studio.el("reference").locator("img").all()) {
      await expect(thumbnail).toHaveJSProperty("complete", true);
      expect(await thumbnail.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(64);
    }

    const sent = page.waitForRequest((r) => r.url().endsWith("/api/generate_picture"));
    await studio.generateAndReview("a kite over the sea");
    expect(JSON.parse((await sent).postData()!).request.references).toEqual(ids);
    await expect(studio.el("used-reference")).toHaveCount(2);
    const shown = await studio.el("used-reference").evaluateAll((imgs) => imgs.map((i) => i.getAttribute("src")));
    expect(shown).toEqual(ids.map((id) => `/api/references/${id}`));

    // The references belong to the session: a reload brings them back beside the result.
    await page.reload();
    await studio.waitReady();
    await expect(studio.el("used-reference")).toHaveCount(2);
  });

  test("a file dropped anywhere on the page is added, and Remove takes it out", async ({ studio, page }) => {
    await studio.open();
    await studio.el("prompt-input").fill("kept while files come and go");
    await drop(page, [{ name: "blue.png", mimeType: "image/png", buffer: await png(page, "#2040d0") }]);
    await expect(studio.el("reference")).toHaveCount(1);
    await expect(page).toHaveURL(/\/$/); // the browser did not open the file instead of the studio
    await studio.el("remove-reference").click();
    await expect(studio.el("reference")).toHaveCount(0);
    await expect(studio.el("prompt-input")).toHaveValue("kept while files come and go");
  });

  test("an image pasted from the clipboard is added", async ({ studio, page }) => {
    await studio.open();
    const picture = (await png(page, "#f0a020")).toString("base64");
    await page.evaluate((picture) => {
      const transfer = new DataTransfer();
      const bytes = Uint8Array.from(atob(picture), (c) => c.charCodeAt(0));
      transfer.items.add(new File([bytes], "pasted.png", { type: "image/png" }));
      document.querySelector("[data-testid=prompt-input]")!.dispatchEvent(
        new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true }),
      );
    }, picture);
    await expect(studio.el("reference")).toHaveCount(1);
  });

  test("bad files are refused, each with its reason, and nothing else is lost", async ({ studio, page }) => {
    await studio.open();
    await studio.el("prompt-input").fill("a harbour at night");
    await studio.el("reference-input").setInputFiles([{ name: "good.png", mimeType: "image/png", buffer: await png(page, "#808080") }]);
    await expect(studio.el("reference")).toHaveCount(1);

    await studio.el("reference-input").setInputFiles([
      { name: "notes.png", mimeType: "image/png", buffer: Buffer.from("these are my notes, not a picture\n") },
      { name: "huge.jpg", mimeType: "image/jpeg", buffer: Buffer.alloc(30_000_000, 0xff) },
      { name: "bomb.png", mimeType: "image/png", buffer: decompressionBomb() },
    ]);
    const errors = studio.el("upload-error");
    await expect(errors).toHaveCount(3);
    await expect(errors.filter({ hasText: "notes.png" })).toContainText("This file is not a PNG, JPEG or WebP image");
    await expect(errors.filter({ hasText: "huge.jpg" })).toContainText("This image is 30 MB; a reference image may be at most 20 MB.");
    await expect(errors.filter({ hasText: "bomb.png" })).toContainText(
      "This image is 100000 × 100000 pixels (10000 megapixels); a reference image may have at most 50 megapixels.",
    );
    await expect(studio.el("reference")).toHaveCount(1);
    await expect(studio.el("prompt-input")).toHaveValue("a harbour at night");
    await expect(studio.el("generate-button")).toBeEnabled();

    await errors.first().getByTestId("dismiss-upload-error").click();
    await expect(errors).toHaveCount(2);
  });

  test("more files than the model takes are refused past its limit", async ({ studio, page }) => {
    await studio.open();
    const files = await Promise.all(
      ["#101010", "#303030", "#505050", "#707070", "#909090"].map(async (colour, i) => ({
        name: `shade-${i}.png`,
        mimeType: "image/png",
        buffer: await png(page, colour),
      })),
    );
    await studio.el("reference-input").setInputFiles(files);
    await expect(studio.el("reference")).toHaveCount(4);
    await expect(studio.el("upload-error")).toHaveCount(1);
    await expect(studio.el("upload-error")).toContainText("shade-4.png");
    await expect(studio.el("upload-error")).toContainText("takes at most 4; remove one to add this one.");
  });
});
