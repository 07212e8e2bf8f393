// The admin console in real headless Chromium: the dashboard draws its SVG
// charts; an administrator finds a user by search and locks them.
// Usage: node admin.mjs BASE_URL ADMIN_NAME PASSWORD VICTIM_NAME
// JavaScript is disabled in the page: the console works without it.
import { check, launch, signIn, usage } from "./launch.mjs";

const [base, admin, password, victim] = process.argv.slice(2);
if (!victim) usage("node admin.mjs BASE_URL ADMIN_NAME PASSWORD VICTIM_NAME");

const browser = await launch();
try {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${base}/login?next=%2Fadmin`);
  await signIn(page, admin, password);
  await page.waitForURL(`${base}/admin`);
  check((await page.textContent("h1")).includes("Administration"), "the admin lands on the dashboard");

  const chart = page.locator("svg#chart-sign-ins");
  const box = await chart.boundingBox();
  check(box && box.width > 250 && box.height > 60, `the sign-in chart is drawn (${box && Math.round(box.width)}x${box && Math.round(box.height)})`);
  check((await chart.locator("polyline").count()) === 2, "the sign-in chart has a line for succeeded and one for failed");
  const label = await chart.getAttribute("aria-label");
  check(/\d+ succeeded, \d+ failed/.test(label), `the chart says what it shows: ${label}`);
  const bars = page.locator("svg#chart-totals rect.bar");
  check((await bars.count()) === 4, "the totals chart has four bars");
  const widths = await bars.evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width));
  check(widths.every((w) => w > 0), "every bar is visible");

  if (process.env.RAMPART_SCREENSHOT) await page.screenshot({ path: process.env.RAMPART_SCREENSHOT, fullPage: true });
  await page.getByRole("link", { name: "Accounts" }).click();
  await page.getByLabel("Find by username or e-mail").fill(victim.slice(0, 4));
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByRole("link", { name: victim, exact: true }).click();
  check((await page.textContent("h1")).trim() === victim, `the search finds ${victim}`);
  check((await page.textContent("#status")).trim() === "active", "the account is active");

  await page.getByRole("button", { name: "Lock and end sessions" }).click();
  await page.waitForURL(/done=locked/);
  check((await page.textContent("#status")).trim() === "locked", "the account page shows it locked");
  check((await page.textContent("#notice")).includes("sessions have ended"), "the console confirms the lock");
} finally {
  await browser.close();
}
