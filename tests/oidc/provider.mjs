// A real OpenID provider (panva's oidc-provider, from npm) on a loopback port, for the
// end-to-end test of web-terminal's token verification. Nothing here is a fixture of ours: the
// discovery document, the JWKS and the signed access tokens are the provider's own.
//
// Clients use the client_credentials grant with a resource indicator, which makes the provider
// issue JWT access tokens signed with its JWKS keys (ES256 or RS256 depending on the resource).
// Client secrets and signing keys are generated at start-up, so nothing secret is committed.

import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { once } from "node:events";
import Provider, { errors } from "oidc-provider";

/** The resource (audience) web-terminal is configured with; tokens for it are signed ES256. */
export const RESOURCE = "urn:web-terminal";
/** A second resource whose tokens are signed RS256, to exercise a second key in the JWKS. */
export const RESOURCE_RSA = "urn:web-terminal:rsa";

function signingKey(kind, options, alg, kid) {
  const { privateKey } = generateKeyPairSync(kind, options);
  return { ...privateKey.export({ format: "jwk" }), alg, kid, use: "sig" };
}

/**
 * Starts the provider on 127.0.0.1 and a free port. Returns its issuer, its clients
 * (`{ id, secret, groups }`) and `close()`.
 */
export async function startProvider() {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const issuer = `http://127.0.0.1:${server.address().port}`;

  const clients = {
    // In the `ops` group, which web-terminal allows.
    platform: { id: "platform-bot", secret: randomBytes(24).toString("hex"), groups: ["ops"] },
    // Verified, but in no allowed group.
    outsider: { id: "outsider-bot", secret: randomBytes(24).toString("hex"), groups: ["visitors"] },
  };
  const groupsOf = new Map(Object.values(clients).map((client) => [client.id, client.groups]));

  const provider = new Provider(issuer, {
    clients: Object.values(clients).map((client) => ({
      client_id: client.id,
      client_secret: client.secret,
      grant_types: ["client_credentials"],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: "client_secret_basic",
    })),
    jwks: {
      keys: [
        signingKey("ec", { namedCurve: "P-256" }, "ES256", "ec-1"),
        signingKey("rsa", { modulusLength: 2048 }, "RS256", "rsa-1"),
      ],
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          const sign = { [RESOURCE]: "ES256", [RESOURCE_RSA]: "RS256" }[indicator];
          if (!sign) {
            throw new errors.InvalidTarget();
          }
          return {
            scope: "terminal",
            audience: RESOURCE,
            accessTokenTTL: 300,
            accessTokenFormat: "jwt",
            jwt: { sign: { alg: sign } },
          };
        },
      },
    },
    ttl: { ClientCredentials: 300 },
    // The groups claim web-terminal reads by default for OIDC providers.
    extraTokenClaims: (_ctx, token) => ({ groups: groupsOf.get(token.clientId) ?? [] }),
  });
  server.on("request", provider.callback());

  return {
    issuer,
    clients,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** The provider's discovery document. */
export async function discover(issuer) {
  const response = await fetch(`${issuer}/.well-known/openid-configuration`);
  if (!response.ok) {
    throw new Error(`discovery answered ${response.status}`);
  }
  return response.json();
}

/** An access token for `client` and `resource` from the token endpoint. */
export async function accessToken(discovery, client, resource = RESOURCE) {
  const response = await fetch(discovery.token_endpoint, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ grant_type: "client_credentials", scope: "terminal", resource }),
  });
  const body = await response.json();
  if (!response.ok) {
    throw new Error(`token endpoint answered ${response.status}: ${body.error}`);
  }
  return body.access_token;
}
