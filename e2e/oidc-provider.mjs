// A real OpenID Provider for the tests: the certified `oidc-provider`
// package (panva), on loopback, with its development sign-in pages (any
// login name signs in; the name is the account id).
//
//   node oidc-provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI [ACCOUNTS_JSON]
//
// ACCOUNTS_JSON maps login names to {email, email_verified}; any other name
// gets NAME@example.com, verified. Prints "ready ISSUER" once listening.
//
// For the refusal tests, POST /test/tamper?mode=M makes the next token
// answer carry an altered ID token (then it is honest again):
//   signature  the payload's `sub` is changed, the signature kept
//   audience   a validly signed token for another client (`aud`)
//   nonce      a validly signed token with another nonce
//   expired    a validly signed token that expired an hour ago
//   stale_auth_time  a validly signed token whose person signed in an hour
//              before it was issued (a provider that ignored prompt=login)
//   no_auth_time     a validly signed token without auth_time
//   unsigned   the same claims with `alg: none` and no signature
import Provider from "oidc-provider";
import { generateKeyPair, exportJWK, SignJWT, decodeJwt } from "jose";

const [port, clientId, clientSecret, redirectUri, accountsJson] = process.argv.slice(2);
const accounts = accountsJson ? JSON.parse(accountsJson) : {};
const issuer = `http://127.0.0.1:${port}`;

const { privateKey } = await generateKeyPair("RS256", { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: "test-key", alg: "RS256", use: "sig" };

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: redirectUri.split(","),
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
  }],
  jwks: { keys: [jwk] },
  cookies: { keys: ["test provider cookie key"] },
  pkce: { required: () => true },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "preferred_username"] },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const known = accounts[id] || {};
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email: known.email ?? `${id}@example.com`,
          email_verified: known.email_verified ?? true,
          name: `Person ${id}`,
          preferred_username: id,
        };
      },
    };
  },
});
provider.proxy = false;

let tamper = null;
provider.use(async (ctx, next) => {
  if (ctx.path === "/test/tamper" && ctx.method === "POST") {
    tamper = ctx.query.mode || null;
    ctx.status = 204;
    return;
  }
  await next();
  if (ctx.path === "/token" && tamper && ctx.body && ctx.body.id_token) {
    const mode = tamper;
    tamper = null;
    const [header, , signature] = ctx.body.id_token.split(".");
    const claims = decodeJwt(ctx.body.id_token);
    const resign = (changes) =>
      new SignJWT({ ...claims, ...changes }).setProtectedHeader({ alg: "RS256", kid: "test-key", typ: "JWT" }).sign(privateKey);
    if (mode === "signature") {
      const forged = Buffer.from(JSON.stringify({ ...claims, sub: "someone-else" })).toString("base64url");
      ctx.body = { ...ctx.body, id_token: `${header}.${forged}.${signature}` };
    } else if (mode === "audience") {
      ctx.body = { ...ctx.body, id_token: await resign({ aud: "another-client", azp: "another-client" }) };
    } else if (mode === "nonce") {
      ctx.body = { ...ctx.body, id_token: await resign({ nonce: "not-the-nonce" }) };
    } else if (mode === "expired") {
      const now = Math.floor(Date.now() / 1000);
      ctx.body = { ...ctx.body, id_token: await resign({ iat: now - 7200, exp: now - 3600 }) };
    } else if (mode === "stale_auth_time") {
      ctx.body = { ...ctx.body, id_token: await resign({ auth_time: claims.iat - 3600 }) };
    } else if (mode === "unsigned") {
      const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
      ctx.body = { ...ctx.body, id_token: `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.` };
    } else if (mode === "no_auth_time") {
      const { auth_time, ...rest } = claims;
      const token = await new SignJWT(rest).setProtectedHeader({ alg: "RS256", kid: "test-key", typ: "JWT" }).sign(privateKey);
      ctx.body = { ...ctx.body, id_token: token };
    }
  }
});

provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`ready ${issuer}`);
});
