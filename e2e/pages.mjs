// Every page in real headless Chromium, as people meet it: anonymous,
// signed-in, administrator and error pages. On each one:
//  - axe (@axe-core/playwright) finds no violation of impact serious or
//    critical, in the light palette and in the dark one;
//  - at 375 px wide nothing scrolls sideways (scrollWidth <= clientWidth);
//  - the header holds Sign in / Create account for visitors, and the menu
//    with a Sign out button for signed-in people (Administration for staff);
//  - <html lang> is set;
//  - signed-in pages show no raw ISO timestamp in their visible text;
// and a German browser (Accept-Language: de-DE) gets German pages.
// Usage: node pages.mjs BASE_URL ADMIN_NAME PASSWORD
import AxeBuilder from "@axe-core/playwright";
import { check, launch, register, signIn, signOut, usage } from "./launch.mjs";

const [base, admin, password] = process.argv.slice(2);
if (!password) usage("node pages.mjs BASE_URL ADMIN_NAME PASSWORD");
const isoTimestamp = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

async function inspect(page, path, who) {
  const response = await page.goto(`${base}${path}`);
  const where = `${path} (${who})`;
  const status = response ? response.status() : 0;
  const lang = await page.getAttribute("html", "lang");
  check(!!lang && lang.length >= 2, `${where}: <html lang="${lang}">`);

  const header = page.locator("header.site");
  if (who === "visitor") {
    check((await header.getByRole("link", { name: "Sign in" }).count()) === 1, `${where}: the header offers Sign in`);
  } else {
    check(await header.locator("#sign-out").isVisible(), `${where}: the header has a Sign out button`);
    for (const name of ["Account", "Sessions", "Security"]) {
      check((await header.getByRole("link", { name, exact: true }).count()) === 1, `${where}: the menu links ${name}`);
    }
    const staff = (await header.getByRole("link", { name: "Administration" }).count()) === 1;
    check(staff === (who === "administrator"), `${where}: Administration ${staff ? "shown to staff" : "hidden"}`);
    const text = await page.locator("body").innerText();
    const raw = text.match(isoTimestamp);
    check(!raw, `${where}: no raw ISO timestamp in the visible text${raw ? ` (found ${raw[0]})` : ""}`);
  }

  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  check(scrollWidth <= clientWidth, `${where}: at 375 px nothing scrolls sideways (${scrollWidth} <= ${clientWidth})`);

  for (const colorScheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme });
    const results = await new AxeBuilder({ page }).analyze();
    const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    const described = bad
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`)
      .join("; ");
    check(bad.length === 0, `${where}, ${colorScheme}: axe finds no serious or critical violation${described ? `: ${described}` : ""}`);
  }
  await page.emulateMedia({ colorScheme: "light" });
  return status;
}

const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 } });
  const page = await context.newPage();

  for (const path of ["/login", "/register", "/password/forgot", "/password/reset?token=not-a-real-token"]) {
    await inspect(page, path, "visitor");
  }
  check((await inspect(page, "/no-such-page", "visitor")) === 404, "the error page is a 404");

  await register(page, base, "e2e_pages", password);
  const signedIn = ["/account", "/account/sessions", "/account/password", "/account/mfa/totp", "/account/passkeys", "/account/tokens", "/account/language", "/account/email", "/account/delete", "/reauth", "/no-such-page"];
  for (const path of signedIn) {
    await inspect(page, path, "person");
  }
  await page.goto(`${base}/account`);
  const since = page.locator("time").first();
  check(/ago|just now/.test(await since.innerText()), `the account page says when, for people: ${await since.innerText()}`);
  check(isoTimestamp.test(await since.getAttribute("datetime")), "the machine-readable time is in datetime");
  check(/UTC$/.test(await since.getAttribute("title")), `the exact time is its tooltip: ${await since.getAttribute("title")}`);

  await signOut(page, base);
  check((await page.locator("#sign-out").count()) === 0, "signed out from the header");

  // A German browser (Accept-Language: de-DE) gets German pages.
  const german = await browser.newContext({ locale: "de-DE", viewport: { width: 375, height: 740 } });
  const seite = await german.newPage();
  await seite.goto(`${base}/login`);
  check((await seite.getAttribute("html", "lang")) === "de", "a German browser gets <html lang=\"de\">");
  check((await seite.textContent("h1")).trim() === "Anmelden", "the sign-in page is in German: Anmelden");
  check((await seite.getByRole("link", { name: "Passwort vergessen?" }).count()) === 1, "Passwort vergessen?");
  const deutsch = { username: "Benutzername", email: "E-Mail-Adresse", password: "Passwort", repeat: "Passwort wiederholen", submit: "Konto anlegen" };
  await register(seite, base, "e2e_deutsch", password, { labels: deutsch });
  check((await seite.textContent("h1")).includes("Hallo, e2e_deutsch"), "the account page greets in German: Hallo, e2e_deutsch");
  check((await seite.locator("time").first().innerText()) === "gerade eben", "times are said in German: gerade eben");
  check(await seite.getByRole("button", { name: "Abmelden" }).isVisible(), "the header's sign-out reads Abmelden");
  for (const path of ["/account", "/account/sessions", "/account/password", "/account/mfa/totp", "/account/passkeys", "/account/tokens", "/account/language", "/account/email", "/account/delete", "/reauth", "/no-such-page"]) {
    const response = await seite.goto(`${base}${path}`);
    const results = await new AxeBuilder({ page: seite }).analyze();
    const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    check(bad.length === 0, `${path} in German: axe finds no serious or critical violation${bad.map((v) => ` ${v.id}`).join("")}`);
    const text = await seite.locator("body").innerText();
    check(!text.includes("⟦"), `${path} in German: no missing message (${response.status()})`);
    check((await seite.getAttribute("html", "lang")) === "de", `${path} in German: <html lang="de">`);
  }
  await seite.goto(`${base}/no-such-page`);
  check((await seite.textContent("h1")).trim() === "Seite nicht gefunden", "error pages are in German: Seite nicht gefunden");
  await seite.goto(`${base}/account/sessions`);
  check((await seite.textContent("body")).includes("Unbekanntes Gerät") || (await seite.textContent("body")).includes(" unter "), "devices are named in German");
  await seite.goto(`${base}/account/passkeys`);
  check((await seite.textContent("h1")).trim() === "Passkeys" && (await seite.textContent("#passkeys")).includes("Sie haben noch keinen Passkey"), "the passkeys page is in German");
  await seite.goto(`${base}/account/mfa/totp`);
  check((await seite.textContent("h1")).trim() === "Zwei-Faktor-Authentifizierung", "the TOTP page is in German");
  await german.close();

  await page.goto(`${base}/login?next=%2Fadmin`);
  await signIn(page, admin, password);
  await page.waitForURL(`${base}/admin`);
  await inspect(page, "/admin", "administrator");
  await inspect(page, "/admin/users", "administrator");
  await page.goto(`${base}/admin/users`);
  await page.getByRole("link", { name: "e2e_pages", exact: true }).click();
  const account = new URL(page.url()).pathname;
  await inspect(page, account, "administrator");
  await inspect(page, "/account", "administrator");
} finally {
  await browser.close();
}
