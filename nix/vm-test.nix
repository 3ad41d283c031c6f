# The NixOS module in two VMs.
#
# loopback: the defaults (auth off, 127.0.0.1:8080). The unit and the port come up, /health and the
#   UI answer, `web-terminal healthcheck` passes, and a real terminal session runs a command over
#   the WebSocket (docs/protocol.md) as the service user, under the unit's hardening.
# authed: authentication on, listening on every address with the firewall open. The port is
#   reachable from the other machine, and a WebSocket without a token is closed with 4401.
#
# The WebSocket client (ws-client.py, Python websockets) is started by the test driver inside each
# VM: the server listens on the VM's loopback, which the driver cannot reach.
{
  testers,
  writers,
  python3Packages,
  curl,
  nixosModule,
}:
let
  clientWriterArgs = {
    libraries = [ python3Packages.websockets ];
  };
  ws-client = writers.writePython3Bin "ws-client" clientWriterArgs (builtins.readFile ./ws-client.py);

  common = {
    imports = [ nixosModule ];
    services.web-terminal.enable = true;
    environment.systemPackages = [
      ws-client
      curl
    ];
  };
in
testers.runNixOSTest {
  name = "web-terminal";

  nodes.loopback = common;

  nodes.authed = {
    imports = [ common ];
    services.web-terminal = {
      settings.host = "0.0.0.0";
      openFirewall = true;
      auth.settings.authentication = {
        enabled = true;
        # Never fetched: a request without a token is refused before any key is needed.
        jwks_providers = [
          {
            name = "test";
            url = "http://127.0.0.1:9/jwks.json";
            issuer = "https://issuer.test";
          }
        ];
        authorization.allowed_users = [ "alice" ];
      };
    };
  };

  testScript = ''
    ws = "ws://127.0.0.1:8080/api/v1/ws"

    start_all()

    with subtest("auth off, loopback: health, UI, healthcheck"):
        loopback.wait_for_unit("web-terminal.service")
        loopback.wait_for_open_port(8080)
        loopback.succeed("ss -tln | grep -F '127.0.0.1:8080'")
        health = loopback.succeed("curl --fail --silent http://127.0.0.1:8080/health")
        assert '"status":"ok"' in health, health
        page = loopback.succeed("curl --fail --silent http://127.0.0.1:8080/")
        assert "<html" in page.lower(), page
        loopback.succeed("web-terminal healthcheck")

    with subtest("auth off, loopback: a terminal session over the WebSocket"):
        # The typed line echoes back as written; only the shell's output has the expansions.
        loopback.succeed(
            f"ws-client {ws} run 'echo user=$(id -un) sum=$((6*7))' 'user=web-terminal sum=42'"
        )

    with subtest("auth on: refused without a token"):
        authed.wait_for_unit("web-terminal.service")
        authed.wait_for_open_port(8080)
        loopback.wait_until_succeeds("curl --fail --silent http://authed:8080/health")
        authed.succeed(f"ws-client {ws} refused 4401")

    with subtest("stop within the shutdown timeout"):
        loopback.succeed("systemctl stop web-terminal.service")
        loopback.fail("systemctl is-failed web-terminal.service")
  '';
}
