// "Sign in with …" in real headless Chromium: the login page's button leads
// to the OpenID Provider's own sign-in page (npm oidc-provider, started by
// the Rust test), the person signs in and consents there, and lands on
// Rampart's account page, signed in, with the identity listed.
// Usage: node oidc.mjs http://127.0.0.1:PORT "Corp SSO"
// JavaScript is off on Rampart's pages; the provider's pages are its own.
import { check, launch, usage } from "./launch.mjs";

const [base, providerName] = process.argv.slice(2);
if (!base || !providerName) usage("node oidc.mjs BASE_URL PROVIDER_NAME");

const browser = await launch();
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.getByRole("link", { name: `Sign in with ${providerName}` }).click();
  await page.waitForSelector("input[name=login]");
  check(!page.url().startsWith(base), "the button leads to the provider's own page");

  await page.fill("input[name=login]", "chromium-person");
  await page.fill("input[name=password]", "whatever the provider asks");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForURL(`${base}/account`);
  check((await page.textContent("h1")).includes("Hello, chromium-person"), "the provider sends the person back to the account page, signed in");
  check((await page.textContent("#identities")).includes(providerName), `the account page lists the ${providerName} identity`);

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(`${base}/login`);
  await page.getByRole("link", { name: `Sign in with ${providerName}` }).click();
  // The provider remembers the person: straight back, signed in again.
  await page.waitForURL(/\/account$|\/interaction\//);
  if (!page.url().endsWith("/account")) {
    await page.getByRole("button", { name: "Continue" }).click().catch(() => {});
    await page.waitForURL(`${base}/account`);
  }
  check((await page.textContent("h1")).includes("Hello, chromium-person"), "signing in again reaches the same account");
} finally {
  await browser.close();
}
