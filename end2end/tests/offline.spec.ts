import { readFile } from "node:fs/promises";
import { test, expect, fingerprint, pngTextChunks } from "./studio";

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
    expect(first).toMatch(/^blob:/);
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
    const approved = await fingerprint(studio.el("result-image"));
    await studio.el("approve-button").click();
    await page.reload();
    await studio.waitReady();
    await studio.expectStage("final");
    await expect(studio.el("final-image")).toHaveAttribute("src", /^blob:/);
    expect(await fingerprint(studio.el("final-image"))).toEqual(approved);
  });

  test("a reload after several generations brings every picture back from IndexedDB", async ({ studio, page }) => {
    await studio.open();
    await studio.generateAndReview("a harbour at dusk");
    for (const count of [2, 3, 4]) {
      await studio.el("regenerate-button").click();
      await expect(studio.el("attempt-item")).toHaveCount(count);
    }
    const thumbs = studio.el("attempt-thumb");
    const before = [];
    for (let i = 0; i < 4; i++) before.push(await fingerprint(thumbs.nth(i)));
    expect(new Set(before).size, "four different pictures").toBe(4);
    await expect.poll(() => studio.storedPictures(), { message: "every picture is stored" }).toBe(4);

    await page.reload();
    await studio.waitReady();
    await studio.expectStage("user_feedback");
    await expect(thumbs).toHaveCount(4);
    for (let i = 0; i < 4; i++) {
      await expect(thumbs.nth(i)).toHaveAttribute("src", /^blob:/);
      expect(await fingerprint(thumbs.nth(i)), `attempt ${i + 1}`).toEqual(before[i]);
    }
    await expect(studio.el("storage-note")).toHaveCount(0);
    // Four ~1 MB pictures: localStorage (about 5 MB of text) only holds the small session.
    const localBytes = await page.evaluate(() =>
      Object.keys(localStorage).reduce((total, key) => total + key.length + localStorage.getItem(key)!.length, 0),
    );
    expect(localBytes).toBeLessThan(64 * 1024);
  });

  test("pictures an earlier version kept in localStorage move to IndexedDB on reload", async ({ studio, page }) => {
    await studio.open();
    await studio.generateAndReview("a copper kettle");
    const picture = await fingerprint(studio.el("result-image"));
    await expect.poll(() => studio.storedPictures()).toBe(1);
    // Rewrite storage as the localStorage-only version left it: the picture as base64 under
    // proofsheet.image.<request id>, nothing in IndexedDB.
    await page.evaluate(async () => {
      const session = JSON.parse(localStorage.getItem("proofsheet.session.v1")!);
      const id = session.UserFeedback.session.attempts[0].request.request_id;
      const db = await new Promise<IDBDatabase>((resolve) => {
        const open = indexedDB.open("proofsheet");
        open.onsuccess = () => resolve(open.result);
      });
      const blob = await new Promise<Blob>((resolve) => {
        const get = db.transaction("pictures").objectStore("pictures").get(id);
        get.onsuccess = () => resolve(get.result);
      });
      const dataUrl = await new Promise<string>((resolve) => {
        const reader = new FileReader();
        reader.onload = () => resolve(reader.result as string);
        reader.readAsDataURL(blob);
      });
      localStorage.setItem(`proofsheet.image.${id}`, dataUrl.slice(dataUrl.indexOf(",") + 1));
      await new Promise((resolve) => {
        const tx = db.transaction("pictures", "readwrite");
        tx.objectStore("pictures").clear();
        tx.oncomplete = resolve;
      });
      db.close();
    });
    expect(await studio.storedPictures()).toBe(0);

    await page.reload();
    await studio.waitReady();
    await expect(studio.el("result-image")).toHaveAttribute("src", /^blob:/);
    expect(await fingerprint(studio.el("result-image"))).toEqual(picture);
    await expect(studio.el("storage-note")).toHaveCount(0);
    await expect.poll(() => studio.storedPictures(), { message: "moved to IndexedDB" }).toBe(1);
    expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("proofsheet.image.")))).toEqual([]);
  });

  test("each picture is one blob: URL shared by every view of it, revoked when it leaves the session", async ({ studio, page }) => {
    await studio.open();
    await studio.generateAndReview("a paper lantern");
    await studio.el("regenerate-button").click();
    await expect(studio.el("attempt-item")).toHaveCount(2);

    const thumbs = await studio.sources("attempt-thumb");
    expect(thumbs).toEqual([expect.stringMatching(/^blob:/), expect.stringMatching(/^blob:/)]);
    expect(thumbs[0]).not.toEqual(thumbs[1]);
    await expect(studio.el("result-image")).toHaveAttribute("src", thumbs[1]!);
    await studio.el("compare-select").selectOption({ label: "Attempt 1" });
    await expect(studio.el("compare-image")).toHaveAttribute("src", thumbs[0]!);

    await studio.el("approve-button").click();
    await studio.expectStage("final");
    await expect(studio.el("final-image")).toHaveAttribute("src", thumbs[1]!);
    await expect(studio.el("download-link")).toHaveAttribute("href", thumbs[1]!);

    await studio.el("start-over-button").click();
    await studio.expectStage("initial_input");
    const loads = await page.evaluate(
      (urls) =>
        Promise.all(
          urls.map(
            (url) =>
              new Promise((resolve) => {
                const img = new Image();
                img.onload = () => resolve("loaded");
                img.onerror = () => resolve("revoked");
                img.src = url!;
              }),
          ),
        ),
      thumbs,
    );
    expect(loads).toEqual(["revoked", "revoked"]);
    await expect.poll(() => studio.storedPictures(), { message: "stored copies are deleted" }).toBe(0);
  });

  test("typing in the refine box re-renders no picture", async ({ studio, page }) => {
    await studio.open();
    await studio.generateAndReview("a quiet pond");
    await studio.el("regenerate-button").click();
    await expect(studio.el("attempt-item")).toHaveCount(2);
    await studio.el("compare-select").selectOption({ label: "Attempt 1" });
    await expect(studio.el("compare-image")).toBeVisible();

    // Tag every picture element and record any change to one.
    const before = await page.evaluate(() => {
      const pictures = [...document.querySelectorAll("img")];
      pictures.forEach((img, i) => (img.dataset.mark = String(i)));
      const changes: string[] = ((window as any).__pictureChanges = []);
      const touchesPicture = (node: Node) => node.nodeName === "IMG" || !!(node as Element).querySelector?.("img");
      new MutationObserver((records) => {
        for (const r of records) {
          const own = r.target.nodeName === "IMG" && r.attributeName !== "data-mark";
          if (own || [...r.addedNodes, ...r.removedNodes].some(touchesPicture)) changes.push(`${r.type} ${r.target.nodeName}`);
        }
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
      return pictures.map((img, i) => ({ src: img.getAttribute("src"), mark: String(i) }));
    });
    expect(before.length, "result, comparison and two thumbnails").toBe(4);

    await studio.el("refine-input").pressSequentially("warmer light");
    await expect(studio.el("refine-input")).toHaveValue("warmer light");
    await expect(studio.el("refine-button")).toBeEnabled();
    const after = await page.evaluate(() =>
      [...document.querySelectorAll("img")].map((img) => ({ src: img.getAttribute("src"), mark: img.dataset.mark })),
    );
    expect(after, "the same elements with the same sources").toEqual(before);
    expect(await page.evaluate(() => (window as any).__pictureChanges)).toEqual([]);
  });

  test("when browser storage is full the person is told, and the session still works", async ({ studio, page }) => {
    await studio.open();
    // Fill localStorage (where the session is kept) to the last character.
    await page.evaluate(() => {
      let chunk = "x".repeat(1 << 20);
      for (let i = 0; chunk.length > 0; ) {
        try {
          localStorage.setItem(`filler-${i++}`, chunk);
        } catch {
          chunk = chunk.slice(0, chunk.length / 2);
        }
      }
    });
    await studio.generateAndReview("a blue boat");
    await expect(studio.el("storage-note")).toHaveText("Browser storage is full: this session will not survive a reload.");
    await studio.el("approve-button").click();
    await studio.expectStage("final");
  });

  test("when there is no room for pictures the person is told, and a reload says which are gone", async ({ studio, page, context }) => {
    await studio.open();
    // A quota far below one picture: IndexedDB refuses every picture (QuotaExceededError).
    const cdp = await context.newCDPSession(page);
    await cdp.send("Storage.overrideQuotaForOrigin", { origin: new URL(page.url()).origin, quotaSize: 64 * 1024 });
    await studio.generateAndReview("a tiny attic");
    await expect(studio.el("storage-note")).toHaveText("Browser storage is full: 1 picture(s) will not survive a reload.");
    await studio.el("regenerate-button").click();
    await expect(studio.el("attempt-item")).toHaveCount(2);
    await expect(studio.el("storage-note")).toHaveText("Browser storage is full: 2 picture(s) will not survive a reload.");

    await page.reload();
    await studio.waitReady();
    await studio.expectStage("user_feedback");
    await expect(studio.el("attempt-item"), "the attempts themselves survive").toHaveCount(2);
    await expect(studio.el("result-image")).toHaveText(/not kept after the reload/);
    await expect(studio.el("storage-note")).toContainText("Some earlier pictures could not be kept across the reload");
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
