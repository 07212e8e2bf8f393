// Registers, signs out, signs in and sees the account page in real headless
// Chromium (Debian's /usr/bin/chromium, never a downloaded browser).
// Usage: node register-login.mjs http://127.0.0.1:PORT
// JavaScript is disabled in the page: every flow must work without it.
import { check, launch } from "./launch.mjs";

const base = process.argv[2];
if (!base) {
  console.error("usage: node register-login.mjs BASE_URL");
  process.exit(2);
}
const password = "a quiet walk by the river 7";

const browser = await launch();
try {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();

  await page.goto(`${base}/register`);
  await page.getByLabel("Username").fill("e2e_user");
  await page.getByLabel("E-mail address").fill("e2e@example.com");
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Repeat the password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(`${base}/account`);
  check((await page.textContent("h1")).includes("Hello, e2e_user"), "registration lands on the account page");

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(`${base}/login`);
  check((await page.textContent("h1")).includes("Sign in"), "signing out lands on the login page");

  await page.goto(`${base}/account`);
  check(page.url().startsWith(`${base}/login?next=`), "the account page needs a session again");

  await page.getByLabel("Username or e-mail").fill("e2e_user");
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  check((await page.textContent("[role=alert]")).includes("incorrect"), "a wrong password shows the generic message");

  await page.getByLabel("Username or e-mail").fill("e2e@example.com");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${base}/account`);
  const heading = await page.textContent("h1");
  check(heading.includes("Hello, e2e_user"), "account page shows Hello, e2e_user");

  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "rampart_session");
  check(session && session.httpOnly && session.sameSite === "Lax", "the session cookie is HttpOnly and SameSite=Lax");
} finally {
  await browser.close();
}
