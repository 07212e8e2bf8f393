// Registers, signs out, signs in and sees the account page in real headless
// Chromium (Debian's /usr/bin/chromium, never a downloaded browser).
// Usage: node register-login.mjs http://127.0.0.1:PORT
// JavaScript is disabled in the page: every flow must work without it.
import { check, launch, register, signIn, usage } from "./launch.mjs";

const base = process.argv[2];
if (!base) usage("node register-login.mjs BASE_URL");
const password = "a quiet walk by the river 7";

const browser = await launch();
try {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();

  await register(page, base, "e2e_user", password, { email: "e2e@example.com" });
  check((await page.textContent("h1")).includes("Hello, e2e_user"), "registration lands on the account page");

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(`${base}/login`);
  check((await page.textContent("h1")).includes("Sign in"), "signing out lands on the login page");

  await page.goto(`${base}/account`);
  check(page.url().startsWith(`${base}/login?next=`), "the account page needs a session again");

  await signIn(page, "e2e_user", "not the password");
  check((await page.textContent("[role=alert]")).includes("incorrect"), "a wrong password shows the generic message");

  await signIn(page, "e2e@example.com", password);
  await page.waitForURL(`${base}/account`);
  const heading = await page.textContent("h1");
  check(heading.includes("Hello, e2e_user"), "account page shows Hello, e2e_user");

  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "rampart_session");
  check(session && session.httpOnly && session.sameSite === "Lax", "the session cookie is HttpOnly and SameSite=Lax");
} finally {
  await browser.close();
}
