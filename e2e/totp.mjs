// Enrols TOTP on the account page in real headless Chromium (reading the
// secret from the page), signs out, and signs in again with password + code.
// Codes come from the `otpauth` npm package (an implementation independent of
// Rampart's), at the server's clock: the test server's clock is frozen at
// SERVER_UNIX_TIME, so enrolment uses that step and sign-in the next one
// (inside the ±1 step window, and not a replay).
// Usage: node totp.mjs http://127.0.0.1:PORT SERVER_UNIX_TIME
import { check, launch, register, signIn, usage } from "./launch.mjs";
import * as OTPAuth from "otpauth";

const [base, serverTime] = process.argv.slice(2);
if (!base || !serverTime) usage("node totp.mjs BASE_URL SERVER_UNIX_TIME");
const password = "a quiet walk by the river 7";

function codeAt(secret, seconds) {
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 });
  return totp.generate({ timestamp: seconds * 1000 });
}

const browser = await launch();
try {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();

  await register(page, base, "e2e_mfa", password);

  await page.getByRole("link", { name: "Two-factor authentication" }).click();
  await page.waitForURL(`${base}/account/mfa/totp`);
  check((await page.locator("figure.qr svg").count()) === 1, "the enrolment page shows an inline SVG QR code");
  const secret = (await page.textContent("#totp-secret")).trim();
  check(/^[A-Z2-7]{32}$/.test(secret), "the page shows a 160-bit base32 secret");

  await page.getByLabel("Code from the app").fill(codeAt(secret, Number(serverTime)));
  await page.getByRole("button", { name: "Turn on two-factor authentication" }).click();
  const codes = await page.locator("#recovery-codes code").allTextContents();
  check(codes.length === 10 && codes.every((c) => /^[a-z0-9]{5}-[a-z0-9]{5}$/.test(c)), "enabling shows ten recovery codes");

  await page.goto(`${base}/account`);
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(`${base}/login`);

  await signIn(page, "e2e_mfa", password);
  await page.waitForURL(`${base}/login/mfa`);
  check((await page.textContent("h1")).includes("Enter your code"), "the password leads to the code step");

  await page.goto(`${base}/account`);
  check(page.url().startsWith(`${base}/login?next=`), "the half-signed-in browser cannot open the account page");
  await page.goto(`${base}/login/mfa`);

  await page.getByLabel("Code").fill(codeAt(secret, Number(serverTime) + 30));
  await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForURL(`${base}/account`);
  check((await page.textContent("h1")).includes("Hello, e2e_mfa"), "password + code signs in: Hello, e2e_mfa");
} finally {
  await browser.close();
}
