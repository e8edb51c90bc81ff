import { expect, test as base, type Page, type APIRequestContext, type Locator } from "@playwright/test";

/** The studio page, driven through its stable data-testid hooks. */
export class Studio {
  constructor(readonly page: Page) {}

  el(testid: string) {
    return this.page.getByTestId(testid);
  }

  async open() {
    await this.page.goto("/");
    await this.waitReady();
  }

  /** The page is usable once the browser has hydrated it. */
  async waitReady() {
    await expect(this.el("studio")).toHaveAttribute("data-hydrated", "true");
  }

  async expectStage(stage: "initial_input" | "generating" | "user_feedback" | "final") {
    await expect(this.el("studio")).toHaveAttribute("data-stage", stage);
  }

  async generate(prompt: string) {
    await this.el("prompt-input").fill(prompt);
    await this.el("generate-button").click();
  }

  async generateAndReview(prompt: string) {
    await this.generate(prompt);
    await this.expectStage("user_feedback");
    await expect(this.el("result-image")).toBeVisible();
  }

  async attemptCount() {
    return this.el("attempt-item").count();
  }

  /** The `src` of every picture with this test id, in page order. */
  async sources(testid: string) {
    return this.el(testid).evaluateAll((pictures) => pictures.map((p) => p.getAttribute("src")));
  }

  /** How many pictures the page keeps in IndexedDB for the next reload. */
  async storedPictures() {
    return this.page.evaluate(
      () =>
        new Promise<number>((resolve, reject) => {
          const open = indexedDB.open("proofsheet");
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const db = open.result;
            const count = db.transaction("pictures").objectStore("pictures").count();
            count.onsuccess = () => {
              db.close();
              resolve(count.result);
            };
          };
        }),
    );
  }
}

/**
 * What a picture looks like, small: its pixels scaled to 8×8. Object URLs are new after a reload,
 * so a picture that came back is recognised by this instead of its `src`.
 */
export async function fingerprint(picture: Locator) {
  return picture.evaluate(async (img: HTMLImageElement) => {
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 8;
    const context = canvas.getContext("2d")!;
    context.drawImage(img, 0, 0, 8, 8);
    return Array.from(context.getImageData(0, 0, 8, 8).data).join(",");
  });
}

/** A `width`×`height` PNG of one colour, drawn by the browser's canvas. */
export async function png(page: Page, colour: string, width = 64, height = 48): Promise<Buffer> {
  const dataUrl = await page.evaluate(
    ([colour, width, height]) => {
      const canvas = document.createElement("canvas");
      canvas.width = width as number;
      canvas.height = height as number;
      const context = canvas.getContext("2d")!;
      context.fillStyle = colour as string;
      context.fillRect(0, 0, canvas.width, canvas.height);
      return canvas.toDataURL("image/png");
    },
    [colour, width, height],
  );
  return Buffer.from(dataUrl.split(",")[1], "base64");
}

/** A request body as mock-providers' ledger records it (`RecordedBody`, tagged by `kind`). */
export type RecordedBody =
  | { kind: "empty" }
  | { kind: "json"; value: any }
  | { kind: "multipart"; parts: { name: string; file_name: string | null; content_type: string | null; size: number; text: string | null }[] }
  | { kind: "text"; text: string };

/** One request the mock received, as `GET /__mock/calls` lists it. */
export type MockRequest = {
  provider: string;
  method: string;
  /** The full path, provider prefix included (`/openai/v1/responses`). */
  path: string;
  query: string | null;
  headers: Record<string, string>;
  auth: unknown;
  body: RecordedBody;
};

/**
 * `GET /__mock/calls?provider=openai`, plus `responses`: the JSON bodies of the Responses API
 * calls (`POST /openai/v1/responses`), in order. The counters count every request on the mock's
 * provider routes; this instance serves the OpenAI app alone, so they are its calls to OpenAI.
 */
export type MockCalls = {
  count: number;
  completed: number;
  cancelled: number;
  predictions_cancelled: number;
  requests: MockRequest[];
  responses: any[];
};

/** Where the Responses API creates a response, on mock-providers. */
export const RESPONSES_PATH = "/openai/v1/responses";

/**
 * The control API (not part of OpenAI's) of the mock-providers instance the OpenAI app points at.
 * Steps are written as for OpenAI alone (`{ respond: "rate_limited", retry_after_ms: 300 }`); the
 * fixture adds `provider: "openai"`.
 */
export class MockOpenAi {
  constructor(readonly request: APIRequestContext, readonly base: string) {}

  async reset() {
    expect((await this.request.post(`${this.base}/__mock/reset`)).status()).toBe(204);
  }

  async script(steps: object[]) {
    const scripted = steps.map((step) => ({ provider: "openai", ...step }));
    const response = await this.request.post(`${this.base}/__mock/script`, { data: { steps: scripted } });
    expect(response.status(), await response.text()).toBe(204);
  }

  async calls(): Promise<MockCalls> {
    const response = await this.request.get(`${this.base}/__mock/calls?provider=openai`);
    expect(response.status(), await response.text()).toBe(200);
    const calls = await response.json();
    const created = (calls.requests as MockRequest[]).filter(
      (request) => request.method === "POST" && request.path === RESPONSES_PATH,
    );
    for (const request of created) {
      expect(request.body.kind, "a Responses API call carries a JSON body").toBe("json");
    }
    return { ...calls, responses: created.map((request) => (request.body as { value: any }).value) };
  }
}

/**
 * Every test gets a fresh page, a mock with an empty script, and a check that nothing threw and
 * that the page's Content-Security-Policy refused nothing (Chromium reports each refusal as a
 * console error naming the policy).
 */
export const test = base.extend<{ studio: Studio; mock: MockOpenAi }>({
  studio: async ({ page }, use) => {
    const errors: string[] = [];
    const refusedByPolicy: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error" && message.text().includes("Content Security Policy")) {
        refusedByPolicy.push(message.text());
      }
    });
    const studio = new Studio(page);
    await use(studio);
    expect(errors, "no uncaught errors in the page").toEqual([]);
    expect(refusedByPolicy, "nothing refused by the Content-Security-Policy").toEqual([]);
  },
  mock: async ({ request }, use) => {
    const port = Number(process.env.E2E_MOCK_PORT ?? 4110);
    const mock = new MockOpenAi(request, `http://127.0.0.1:${port}`);
    await mock.reset();
    await use(mock);
  },
});

export { expect };

/** Reads the text chunks of a PNG file (tEXt and uncompressed iTXt). */
export function pngTextChunks(png: Buffer): Record<string, string> {
  const chunks: Record<string, string> = {};
  let offset = 8;
  while (offset + 8 <= png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("latin1", offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === "tEXt" || type === "iTXt") {
      const nul = data.indexOf(0);
      const keyword = data.toString("latin1", 0, nul);
      if (type === "tEXt") {
        chunks[keyword] = data.toString("latin1", nul + 1);
      } else {
        // keyword NUL, compression flag, method, language NUL, translated keyword NUL, text
        let rest = nul + 3;
        rest = data.indexOf(0, rest) + 1;
        rest = data.indexOf(0, rest) + 1;
        chunks[keyword] = data.toString("utf8", rest);
      }
    }
    offset += 12 + length;
  }
  return chunks;
}
