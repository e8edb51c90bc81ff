import { ACCESS_TOKEN } from "../playwright.config";
import { test, expect } from "./studio";

test.describe("sign-in required (a team token is configured)", () => {
  test("the studio sends a visitor to the login page, and back after signing in", async ({ studio, page }) => {
    await page.goto("/");
    await expect(page).toHaveURL(/\/login\?next=%2F$/);
    await expect(page.getByTestId("login")).toBeVisible();

    await page.getByTestId("login-secret").fill("not the token");
    await page.getByTestId("login-submit").click();
    await expect(page.getByTestId("login-error")).toHaveText("That access token is not right.");

    await page.getByTestId("login-secret").fill(ACCESS_TOKEN);
    await page.getByTestId("login-submit").click();
    await expect(page).toHaveURL(/\/$/);
    await studio.waitReady();
    await studio.generateAndReview("a lighthouse at dawn");

    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === "proofsheet_session");
    expect(session?.httpOnly, "the session cookie is out of scripts' reach").toBe(true);
    expect(session?.sameSite).toBe("Strict");
  });

  test("the studio shows who is signed in, and Sign out ends the session", async ({ studio, page }) => {
    await page.goto("/login");
    await page.getByTestId("login-secret").fill(ACCESS_TOKEN);
    await page.getByTestId("login-submit").click();
    await studio.waitReady();
    await expect(studio.el("signed-in-as")).toHaveText("team");
    await studio.el("sign-out").click();
    await expect(page).toHaveURL(/\/login$/);
    await page.goto("/");
    await expect(page).toHaveURL(/\/login\?next=/);
  });

  test("the API refuses calls without a sign-in", async ({ request }) => {
    const answer = await request.get("/api/list_engines");
    expect(answer.status()).toBe(401);
    expect(await answer.json()).toMatchObject({ Refused: { status: 401 } });
    const scripted = await request.get("/api/list_engines", { headers: { Authorization: `Bearer ${ACCESS_TOKEN}` } });
    expect(scripted.status()).toBe(200);
  });
});

test.describe("sign-in in Simplified Chinese (Accept-Language: zh-CN)", () => {
  test.use({ locale: "zh-CN" });

  test("the login page and its refusal speak Chinese", async ({ page }) => {
    await page.goto("/");
    await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
    await expect(page.getByTestId("login-submit")).toHaveText("登录");
    await page.getByTestId("login-secret").fill("not the token");
    await page.getByTestId("login-submit").click();
    await expect(page.getByTestId("login-error")).toHaveText("访问令牌不正确。");
  });
});
