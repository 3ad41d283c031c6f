import { describe, expect, it } from "vitest";
import { NEW_SESSION, sessionLink, splitFragmentSession, takeFragmentSession } from "./session-link";

const ID = "0123456789abcdef0123456789abcdef";

describe("session links", () => {
  it("splits the session off the fragment, keeping the settings", () => {
    expect(splitFragmentSession(`#session=${ID}&theme=dark`)).toEqual({ found: true, session: ID, rest: "#theme=dark" });
    expect(splitFragmentSession(`#session=${ID.toUpperCase()}`)).toEqual({ found: true, session: ID, rest: "" });
    expect(splitFragmentSession("#session=nope&fontSize=16")).toEqual({ found: true, session: null, rest: "#fontSize=16" });
    expect(splitFragmentSession("#theme=light")).toEqual({ found: false, session: null, rest: "#theme=light" });
    expect(splitFragmentSession("#session=new&theme=dark")).toEqual({ found: true, session: NEW_SESSION, rest: "#theme=dark" });
  });

  it("takes the session out of the address bar without a new history entry", () => {
    const replaced: string[] = [];
    const history = {
      state: { kept: true },
      replaceState(data: unknown, _unused: string, url?: string | URL | null) {
        expect(data).toEqual({ kept: true });
        replaced.push(String(url));
      },
    };
    const href = `https://host.test/term/?renderer=dom#theme=dark&session=${ID}`;
    expect(takeFragmentSession({ href, hash: `#theme=dark&session=${ID}` }, history)).toBe(ID);
    expect(replaced).toEqual(["https://host.test/term/?renderer=dom#theme=dark"]);
    expect(takeFragmentSession({ href: "https://host.test/", hash: "" }, history)).toBeNull();
    expect(replaced).toHaveLength(1);
  });

  it("links to a session with the page address and nothing else in the fragment", () => {
    expect(sessionLink("https://host.test/term/?renderer=dom#theme=dark", ID)).toBe(`https://host.test/term/?renderer=dom#session=${ID}`);
    expect(sessionLink("https://host.test/term/", NEW_SESSION)).toBe("https://host.test/term/#session=new");
  });
});
