"""Policy over the rendered manifests: what issues 6, 13 and 14 promise about the pod, the images,
the replicas (and how they reach each other), the drain, the rollout and its analysis, the backups,
the audit log, the network (Ingress or Gateway API) and the Argo CD project. `violations()` returns every broken promise as a line of
text; `gitops_checks.check_policy` fails on any, and the broken-copy tests show that each rule can
fail. `compose_violations()` does the same for deploy/compose/compose.yaml.

Input: {"dev": [docs], "staging": [...], "production": [...], "gateway": [...], "argocd": [...]},
each the parsed output of `kubectl kustomize` (the variants of VARIANTS follow their environment's
rules).
"""

from __future__ import annotations

import json
import re
import tomllib

IMAGE_REPO = "ghcr.io/web-terminal/web-terminal"
# The all-zero digest that staging and production carry until the first release. Well-formed, so
# rendering and validation accept it; scripts/promote.sh refuses to promote it.
PLACEHOLDER_DIGEST = "sha256:" + "0" * 64
DIGEST_IMAGE = re.compile(rf"^{re.escape(IMAGE_REPO)}@sha256:[0-9a-f]{{64}}$")
# Dev may follow a release tag: a version number, never latest.
TAG_IMAGE = re.compile(rf"^{re.escape(IMAGE_REPO)}:v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")

REPO_URL = "https://github.com/web-terminal/web-terminal.git"
NAMESPACES = {env: f"web-terminal-{env}" for env in ("dev", "staging", "production")}
WRITABLE_MOUNTS = {"/tmp", "/app/data/workspaces", "/app/data/logs"}
WORKSPACES = "/app/data/workspaces"
# Writable too where an overlay records sessions (the recording component); never required.
RECORDINGS = "/app/data/recordings"
# Where browsers (ingress-nginx, or the Gateway API's data plane: Envoy Gateway's namespace) and
# scrapes come from.
INGRESS_NAMESPACES = {"ingress-nginx", "envoy-gateway-system", "monitoring"}
# Rendered variants that no Application deploys, and the environment whose rules each follows.
VARIANTS = {"gateway": "production"}
EGRESS_PORTS = {53, 443}
# Replicas (issue 13): the server's one port, by number or by the container port's name.
SERVER_PORT = 8080
SERVER_PORT_NAMES = {SERVER_PORT, "http"}
# terminationGracePeriodSeconds must cover drain_timeout_secs + shutdown_timeout_secs + this, for
# the last close frames and the exit.
GRACE_MARGIN_SECS = 10
# The replica's node name is its pod IP with dashes, the name cluster DNS serves for a pod behind a
# headless Service (a Deployment's pods have no DNS record by name): the peers component's command.
NODE_NAME_COMMAND = [
    "/bin/sh",
    "-c",
    'export WEB_TERMINAL_NODE_NAME="${POD_IP//[.:]/-}"; unset POD_IP; exec web-terminal start',
]


def find(docs: list[dict], kind: str) -> list[dict]:
    return [doc for doc in docs if doc.get("kind") == kind]


def one(docs: list[dict], kind: str, problems: list[str], env: str) -> dict | None:
    found = find(docs, kind)
    if len(found) != 1:
        problems.append(f"{env}: expected one {kind}, found {len(found)}")
        return None
    return found[0]


def containers(deployment: dict) -> list[dict]:
    spec = deployment["spec"]["template"]["spec"]
    return spec.get("initContainers", []) + spec.get("containers", [])


def effective_config(docs: list[dict], deployment: dict) -> dict:
    """config.toml from the mounted ConfigMap, overridden by WEB_TERMINAL_* from envFrom and env,
    as the server resolves them."""
    maps = {doc["metadata"]["name"]: doc.get("data", {}) for doc in find(docs, "ConfigMap")}
    config: dict = {}
    pod = deployment["spec"]["template"]["spec"]
    for volume in pod.get("volumes", []):
        name = volume.get("configMap", {}).get("name")
        if name in maps and "config.toml" in maps[name]:
            config.update(tomllib.loads(maps[name]["config.toml"]))
    for container in pod["containers"]:
        for source in container.get("envFrom", []):
            name = source.get("configMapRef", {}).get("name")
            for key, value in maps.get(name, {}).items():
                config[key] = value
        for env in container.get("env", []):
            if "value" in env:
                config[env["name"]] = env["value"]
    for key in list(config):
        if key.startswith("WEB_TERMINAL_"):
            config[key.removeprefix("WEB_TERMINAL_").lower()] = config.pop(key)
    return config


def single_node_claims(docs: list[dict], deployment: dict) -> list[str]:
    """The PersistentVolumeClaims the pod mounts that only one node can attach (ReadWriteOnce or
    ReadWriteOncePod, without ReadWriteMany)."""
    claims = {pvc["metadata"]["name"]: pvc["spec"].get("accessModes", []) for pvc in find(docs, "PersistentVolumeClaim")}
    names = [
        volume["persistentVolumeClaim"]["claimName"]
        for volume in deployment["spec"]["template"]["spec"].get("volumes", [])
        if "persistentVolumeClaim" in volume
    ]
    return [
        name for name in names
        if "ReadWriteMany" not in claims.get(name, []) and {"ReadWriteOnce", "ReadWriteOncePod"} & set(claims.get(name, []))
    ]


def serves_unauthenticated(docs: list[dict], deployment: dict) -> bool:
    """Authentication is off in the effective configuration: anyone who reaches the port gets a
    shell."""
    return str(effective_config(docs, deployment).get("AUTH_ENABLED", "false")).lower() != "true"


def pod_rules(env: str, docs: list[dict], problems: list[str]) -> None:
    deployment = one(docs, "Deployment", problems, env)
    if deployment is None:
        return
    name = f"{env}: Deployment/{deployment['metadata']['name']}"
    spec = deployment["spec"]
    pod = spec["template"]["spec"]
    pod_sc = pod.get("securityContext", {})

    # Restricted Pod Security Standard, and more.
    if pod_sc.get("runAsNonRoot") is not True:
        problems.append(f"{name}: pod securityContext.runAsNonRoot must be true")
    for field in ("runAsUser", "runAsGroup", "fsGroup"):
        if pod_sc.get(field) != 1000:
            problems.append(f"{name}: pod securityContext.{field} must be 1000")
    if pod_sc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.append(f"{name}: pod seccompProfile must be RuntimeDefault")
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(key):
            problems.append(f"{name}: {key} must not be set")

    if pod.get("automountServiceAccountToken") is not False:
        problems.append(f"{name}: automountServiceAccountToken must be false (a shell must not get an API token)")
    account = pod.get("serviceAccountName")
    if not account or account == "default":
        problems.append(f"{name}: must use its own ServiceAccount")
    for sa in find(docs, "ServiceAccount"):
        if sa["metadata"]["name"] == account and sa.get("automountServiceAccountToken") is not False:
            problems.append(f"{env}: ServiceAccount/{account}: automountServiceAccountToken must be false")

    for container in containers(deployment):
        where = f"{name} container {container['name']}"
        sc = container.get("securityContext", {})
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: allowPrivilegeEscalation must be false")
        if sc.get("privileged"):
            problems.append(f"{where}: privileged must not be set")
        if "ALL" not in sc.get("capabilities", {}).get("drop", []):
            problems.append(f"{where}: capabilities.drop must contain ALL")
        if sc.get("capabilities", {}).get("add"):
            problems.append(f"{where}: capabilities.add must be empty")
        if sc.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: readOnlyRootFilesystem must be true")
        if sc.get("runAsNonRoot") is False or sc.get("runAsUser", 1000) == 0:
            problems.append(f"{where}: must not run as root")
        seccomp = sc.get("seccompProfile", {}).get("type", "RuntimeDefault")
        if seccomp != "RuntimeDefault":
            problems.append(f"{where}: seccompProfile must be RuntimeDefault")
        mounts = {m["mountPath"]: m for m in container.get("volumeMounts", [])}
        for path, mount in mounts.items():
            if not mount.get("readOnly") and path not in WRITABLE_MOUNTS | {RECORDINGS}:
                problems.append(f"{where}: {path} is mounted writable; only {sorted(WRITABLE_MOUNTS)} may be")
        for path in sorted(WRITABLE_MOUNTS - set(mounts)):
            problems.append(f"{where}: needs a writable volume at {path}")
        home = next((e.get("value") for e in container.get("env", []) if e["name"] == "HOME"), None)
        if home is not None and not home.startswith(WORKSPACES):
            problems.append(f"{where}: HOME must point into {WORKSPACES}")

        # Probes and resources.
        probes = {
            "livenessProbe": "/health",
            "readinessProbe": "/ready",
            "startupProbe": None,
        }
        for probe, path in probes.items():
            if probe not in container:
                problems.append(f"{where}: {probe} is missing")
            elif path and container[probe].get("httpGet", {}).get("path") != path:
                problems.append(f"{where}: {probe} must GET {path}")
        resources = container.get("resources", {})
        for section in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in resources.get(section, {}):
                    problems.append(f"{where}: resources.{section}.{resource} is missing")

    # Shutdown and rollout.
    config = effective_config(docs, deployment)
    grace_rules(env, docs, deployment, problems)
    strategy = spec.get("strategy", {})
    rolling = strategy.get("rollingUpdate", {})
    if single_node_claims(docs, deployment):
        # A surge pod scheduled on another node can never attach a ReadWriteOnce volume
        # (Multi-Attach error), and the rollout hangs: stop the old pod first instead.
        # (maxSurge defaults to 25%, which rounds up to one pod.)
        if strategy.get("type", "RollingUpdate") != "Recreate" and rolling.get("maxSurge", "25%") not in (0, "0%"):
            problems.append(f"{name}: mounts a ReadWriteOnce claim, so it must not surge (strategy Recreate, or maxSurge: 0)")
    elif strategy.get("type", "RollingUpdate") != "RollingUpdate" or rolling.get("maxUnavailable") != 0:
        problems.append(f"{name}: the rolling update must use maxUnavailable: 0")
    if env != "dev" and config.get("log_format") != "json":
        problems.append(f"{name}: log_format must be json outside dev")
    if str(config.get("allow_unauthenticated", "false")).lower() == "true" and env != "dev":
        problems.append(f"{name}: allow_unauthenticated is only for dev")


def pod_templates(docs: list[dict], deployment: dict) -> list[tuple[str, dict]]:
    """Every pod template that runs the server: the Deployment's, and a Rollout's own template
    where one overrides it (with workloadRef alone the Rollout runs the Deployment's)."""
    templates = [(f"Deployment/{deployment['metadata']['name']}", deployment)]
    templates += [(f"Rollout/{r['metadata']['name']}", r) for r in find(docs, "Rollout") if r["spec"].get("template")]
    return templates


def grace_rules(env: str, docs: list[dict], deployment: dict, problems: list[str]) -> None:
    """Issue 13: Kubernetes kills the container terminationGracePeriodSeconds after SIGTERM, so it
    must cover the drain, then the shutdown, then a margin; else the kubelet kills live shells
    mid-drain. Checked on every pod template, with the configuration that template loads."""
    for where, workload in pod_templates(docs, deployment):
        config = effective_config(docs, workload)
        drain = int(config.get("drain_timeout_secs", 0))
        timeout = int(config.get("shutdown_timeout_secs", 20))
        grace = workload["spec"]["template"]["spec"].get("terminationGracePeriodSeconds", 30)
        if grace < drain + timeout + GRACE_MARGIN_SECS:
            problems.append(
                f"{env}: {where}: terminationGracePeriodSeconds {grace} < drain_timeout_secs {drain} + "
                f"shutdown_timeout_secs {timeout} + {GRACE_MARGIN_SECS}"
            )


def is_headless(service: dict) -> bool:
    return service["spec"].get("clusterIP") == "None"


def selects_server(selector: dict, labels: dict) -> bool:
    """A label selector (matchLabels only) that picks the server's pods."""
    return bool(selector) and set(selector) == {"matchLabels"} and bool(selector["matchLabels"]) and selector["matchLabels"].items() <= labels.items()


def is_peer(peer: dict, labels: dict) -> bool:
    """A NetworkPolicy peer that is the server's own pods in this namespace."""
    return set(peer) == {"podSelector"} and selects_server(peer["podSelector"], labels)


def rule_ports(rule: dict) -> set:
    return {p.get("port") for p in rule.get("ports", [])}


def peer_rules(env: str, docs: list[dict], problems: list[str]) -> None:
    """Issue 13: with several replicas, an attach that reaches a replica that does not run the
    session is relayed to the one that does. That needs a headless Service over the pods that
    keeps draining (not ready) pods in DNS; node names that resolve under it (a pod's dashed IP:
    a Deployment's pods have no DNS record by name); the URL template and Service name of this
    environment's own namespace; and NetworkPolicy rules for replica-to-replica traffic on the
    server's port and no other."""
    deployment = one(docs, "Deployment", problems, env)
    if deployment is None or serving_replicas(docs, deployment) < 2:
        return
    namespace = NAMESPACES[env]
    pod = deployment["spec"]["template"]
    labels = pod["metadata"].get("labels", {})
    headless = [svc for svc in find(docs, "Service") if is_headless(svc)]
    if not headless:
        problems.append(f"{env}: {serving_replicas(docs, deployment)} replicas need a headless Service (clusterIP: None) over the pods, the replicas' address book (the peers component)")
        return
    service = headless[0]
    where = f"{env}: Service/{service['metadata']['name']}"
    if not selects_server({"matchLabels": service["spec"].get("selector", {})}, labels):
        problems.append(f"{where}: the selector must pick the server's pods ({labels})")
    if service["spec"].get("publishNotReadyAddresses") is not True:
        problems.append(f"{where}: needs publishNotReadyAddresses: true, or a draining pod (/ready 503) drops out of DNS and its sessions can no longer be reattached through another replica")
    if not any(p.get("port") == SERVER_PORT and p.get("targetPort", SERVER_PORT) in SERVER_PORT_NAMES for p in service["spec"].get("ports", [])):
        problems.append(f"{where}: needs port {SERVER_PORT} to the server's port (http)")

    config = effective_config(docs, deployment)
    name = service["metadata"]["name"]
    expected = {
        "peer_url_template": f"http://{{node}}.{name}.{namespace}.svc:{SERVER_PORT}",
        "peer_service": f"{name}.{namespace}.svc",
    }
    for key, value in expected.items():
        if config.get(key) != value:
            problems.append(f"{env}: WEB_TERMINAL_{key.upper()} is {config.get(key)!r}, must be {value!r} (this environment's namespace and headless Service)")
    if config.get("peers"):
        problems.append(f"{env}: WEB_TERMINAL_PEERS lists fixed names, but pod names change with every rollout: use the headless Service (peer_service)")

    container = pod["spec"]["containers"][0]
    env_vars = {e["name"]: e for e in container.get("env", [])}
    node = env_vars.get("WEB_TERMINAL_NODE_NAME", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
    pod_ip = env_vars.get("POD_IP", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
    if node == "metadata.name" and not pod.get("spec", {}).get("hostname"):
        problems.append(
            f"{env}: WEB_TERMINAL_NODE_NAME is the pod's name, which has no DNS record: a Deployment's pods get "
            f"<hostname>.{name} records only with spec.hostname, which one template cannot set per pod, so every relay "
            "would end in 4404; use the pod's dashed IP (the peers component)"
        )
    elif pod_ip != "status.podIP" or container.get("command") != NODE_NAME_COMMAND:
        problems.append(
            f"{env}: the node name must be the pod's dashed IP, the name cluster DNS serves under {name}: "
            f"POD_IP from fieldRef status.podIP and command {NODE_NAME_COMMAND} (the peers component)"
        )

    policies = [
        np for np in find(docs, "NetworkPolicy")
        if np["spec"].get("podSelector", {}).get("matchLabels", {}).items() <= labels.items()
    ]
    for kind, key, side in (("ingress", "from", "from"), ("egress", "to", "to")):
        rules = [
            rule for np in policies for rule in np["spec"].get(kind, [])
            if any(is_peer(peer, labels) for peer in rule.get(key, []))
        ]
        if not any(rule_ports(rule) and rule_ports(rule) <= SERVER_PORT_NAMES for rule in rules):
            problems.append(f"{env}: the NetworkPolicy must allow {kind} {side} the other replicas on port {SERVER_PORT} (podSelector of the server's pods)")
        for rule in rules:
            if not rule_ports(rule) or not rule_ports(rule) <= SERVER_PORT_NAMES:
                problems.append(f"{env}: NetworkPolicy {kind} {side} the replicas allows ports {sorted(map(str, rule_ports(rule))) or 'all'}; only {SERVER_PORT}")


def recording_rules(env: str, docs: list[dict], problems: list[str]) -> None:
    """Issue 12: a recording directory must be on a writable volume (the root filesystem is
    read-only), and production records every session onto a PersistentVolumeClaim, so recordings
    outlive the pod that wrote them and any replica can serve them."""
    deployment = one(docs, "Deployment", problems, env)
    if deployment is None:
        return
    directory = str(effective_config(docs, deployment).get("recording_dir") or "")
    if not directory:
        if env == "production":
            problems.append("production: recording_dir must be set (production records every session)")
        return
    if not directory.startswith("/"):
        problems.append(f"{env}: recording_dir {directory!r} must be an absolute path")
        return
    pod = deployment["spec"]["template"]["spec"]
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    claims = {pvc["metadata"]["name"] for pvc in find(docs, "PersistentVolumeClaim")}
    container = pod["containers"][0]
    # The most specific mount holding the directory is the one it is written to.
    holding = [
        mount for mount in container.get("volumeMounts", [])
        if directory == mount["mountPath"] or directory.startswith(mount["mountPath"].rstrip("/") + "/")
    ]
    if not holding:
        problems.append(f"{env}: recording_dir {directory} is on no volume mount of container {container['name']} (the root filesystem is read-only)")
        return
    mount = max(holding, key=lambda m: len(m["mountPath"]))
    if mount.get("readOnly"):
        problems.append(f"{env}: recording_dir {directory} is on the read-only mount {mount['mountPath']}")
    claim = volumes.get(mount["name"], {}).get("persistentVolumeClaim", {}).get("claimName")
    if env == "production" and claim not in claims:
        problems.append(
            f"production: recording_dir {directory} must be on a mounted PersistentVolumeClaim, "
            f"but {mount['mountPath']} is volume {mount['name']!r}, which is not one"
        )


def volume_holding(deployment: dict, path: str) -> tuple[dict | None, dict]:
    """The most specific mount of the first container that holds `path`, and its volume."""
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    holding = [
        mount for mount in container.get("volumeMounts", [])
        if path == mount["mountPath"] or path.startswith(mount["mountPath"].rstrip("/") + "/")
    ]
    if not holding:
        return None, {}
    mount = max(holding, key=lambda m: len(m["mountPath"]))
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    return mount, volumes.get(mount["name"], {})


def audit_log_rules(env: str, docs: list[dict], problems: list[str]) -> None:
    """Issue 14: the audit log outlives the pod. With audit on, either it goes to stdout (no
    audit.log_file: the cluster's log pipeline ships it) or its file lies on a writable mount; in
    production that mount must be a PersistentVolumeClaim, never an emptyDir, which is deleted
    with the pod together with the audit trail."""
    deployment = one(docs, "Deployment", problems, env)
    if deployment is None:
        return
    config = effective_config(docs, deployment)
    auth_on = str(config.get("AUTH_ENABLED", "false")).lower() == "true"
    if str(config.get("AUTH_AUDIT_LOG", str(auth_on))).lower() != "true":
        return
    path = str(config.get("AUTH_AUDIT_LOG_FILE") or "")
    if not path:
        return
    mount, volume = volume_holding(deployment, path)
    if mount is None or mount.get("readOnly"):
        problems.append(f"{env}: the audit log {path} is on no writable volume mount (the root filesystem is read-only)")
        return
    if env == "production" and "persistentVolumeClaim" not in volume:
        kind = next(iter(set(volume) - {"name"}), "unknown")
        problems.append(
            f"production: the audit log {path} is on {kind} volume {mount['name']!r}, which goes with the pod: "
            "write it to stdout (AUTH_AUDIT_LOG_FILE empty) or onto a PersistentVolumeClaim"
        )


BACKUP_RETENTION = re.compile(r"--keep-within(?:=|\s+)30d\b|--keep-daily(?:=|\s+)30\b")


def backup_rules(env: str, docs: list[dict], problems: list[str]) -> None:
    """Issue 14: staging and production back the workspaces claim (with the recordings on it) up
    every day and keep 30 days; the job is as locked down as the server's pod, reads the claim
    read-only and pins its image by digest (secret_rules keeps its Secret out of git)."""
    if env == "dev":
        return
    jobs = [job for job in find(docs, "CronJob") if job["metadata"]["name"] == "web-terminal-backup"]
    if not jobs:
        problems.append(f"{env}: no CronJob web-terminal-backup backs the workspaces up (the backup component)")
        return
    job = jobs[0]
    where = f"{env}: CronJob/web-terminal-backup"
    if job["spec"].get("concurrencyPolicy") != "Forbid":
        problems.append(f"{where}: concurrencyPolicy must be Forbid")
    pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    pod_sc = pod.get("securityContext", {})
    if pod_sc.get("runAsNonRoot") is not True or pod_sc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.append(f"{where}: the pod must set runAsNonRoot and seccompProfile RuntimeDefault")
    if pod.get("automountServiceAccountToken") is not False:
        problems.append(f"{where}: automountServiceAccountToken must be false")
    claims = {
        volume["name"]: volume["persistentVolumeClaim"]["claimName"]
        for volume in pod.get("volumes", []) if "persistentVolumeClaim" in volume
    }
    for container in pod.get("containers", []):
        cwhere = f"{where} container {container['name']}"
        sc = container.get("securityContext", {})
        if sc.get("allowPrivilegeEscalation") is not False or sc.get("readOnlyRootFilesystem") is not True or "ALL" not in sc.get("capabilities", {}).get("drop", []):
            problems.append(f"{cwhere}: needs allowPrivilegeEscalation false, readOnlyRootFilesystem true and capabilities.drop ALL")
        if not re.search(r"@sha256:[0-9a-f]{64}$", container.get("image", "")):
            problems.append(f"{cwhere}: image {container.get('image')} must be pinned by digest")
        script = " ".join(container.get("command", []) + container.get("args", []))
        if "restic backup" not in script:
            problems.append(f"{cwhere}: runs no `restic backup`")
        if not re.search(r"restic forget\b[^\n]*--prune", script) or not BACKUP_RETENTION.search(script):
            problems.append(f"{cwhere}: must keep 30 days (`restic forget --keep-within 30d --prune` or --keep-daily 30)")
        mounted = {
            claims[mount["name"]]: mount for mount in container.get("volumeMounts", []) if mount["name"] in claims
        }
        mount = mounted.get("web-terminal-workspaces")
        if mount is None:
            problems.append(f"{cwhere}: does not mount the workspaces claim")
        elif not mount.get("readOnly"):
            problems.append(f"{cwhere}: must mount the workspaces claim read-only")


def image_rules(env: str, docs: list[dict], problems: list[str]) -> None:
    for deployment in find(docs, "Deployment"):
        for container in containers(deployment):
            image = container["image"]
            where = f"{env}: container {container['name']} image {image}"
            if image.endswith(":latest") or ":latest@" in image:
                problems.append(f"{where}: the latest tag is never used")
            if env == "dev":
                if not (DIGEST_IMAGE.match(image) or TAG_IMAGE.match(image)):
                    problems.append(f"{where}: dev needs a release tag or a digest")
            elif not DIGEST_IMAGE.match(image):
                problems.append(f"{where}: {env} must pin {IMAGE_REPO}@sha256:<64 hex>")


def rollout_of(docs: list[dict], deployment: dict) -> dict | None:
    """The Argo Rollouts Rollout that runs this Deployment's pod template (workloadRef), if any."""
    for rollout in find(docs, "Rollout"):
        ref = rollout["spec"].get("workloadRef", {})
        if ref.get("kind") == "Deployment" and ref.get("name") == deployment["metadata"]["name"]:
            return rollout
    return None


def serving_replicas(docs: list[dict], deployment: dict) -> int:
    """How many pods run the Deployment's template: the Rollout's count where one refers to it."""
    rollout = rollout_of(docs, deployment)
    source = rollout if rollout is not None else deployment
    return source["spec"].get("replicas", 1)


# The canary analysis tells the canary's series from the stable pods' by this pod label, which the
# ServiceMonitor must copy onto the series.
ROLLOUT_HASH_LABEL = "rollouts-pod-template-hash"


def rollout_rules(env: str, docs: list[dict], problems: list[str]) -> None:
    """Issue 14: staging and production roll out as an analysed canary (Argo Rollouts); dev needs no
    Argo Rollouts CRDs. The Deployment only lends its pod template, so it runs no pods itself; a
    failed analysis must be able to abort (a background analysis on templates that exist, over the
    canary's own series); and the Rollout must never be skipped while the Deployment is at zero."""
    deployment = one(docs, "Deployment", problems, env)
    if deployment is None:
        return
    rollouts = find(docs, "Rollout")
    if env == "dev":
        if rollouts:
            problems.append("dev: renders a Rollout; dev must run without the Argo Rollouts CRDs")
        return
    rollout = rollout_of(docs, deployment)
    if rollout is None:
        problems.append(f"{env}: no Rollout runs Deployment/{deployment['metadata']['name']} (workloadRef): add the rollout component")
        return
    where = f"{env}: Rollout/{rollout['metadata']['name']}"
    if deployment["spec"].get("replicas", 1) != 0:
        problems.append(f"{env}: Deployment/{deployment['metadata']['name']} must have replicas: 0, the Rollout runs its pods (else both do)")
    canary = rollout["spec"].get("strategy", {}).get("canary")
    if not canary:
        problems.append(f"{where}: must use the canary strategy (sessions drain pod by pod)")
        return
    if canary.get("maxUnavailable") != 0:
        problems.append(f"{where}: canary maxUnavailable must be 0")
    templates = {doc["metadata"]["name"] for doc in find(docs, "AnalysisTemplate")}
    names = [ref.get("templateName") for ref in canary.get("analysis", {}).get("templates", [])]
    if not names:
        problems.append(f"{where}: needs a background analysis (strategy.canary.analysis), or nothing aborts a bad canary")
    for name in names:
        if name not in templates:
            problems.append(f"{where}: analysis template {name} is not rendered")
    args = {arg.get("name"): arg.get("valueFrom", {}).get("podTemplateHashValue") for arg in canary.get("analysis", {}).get("args", [])}
    if names and (args.get("canary-hash") != "Latest" or args.get("stable-hash") != "Stable"):
        problems.append(f"{where}: analysis args canary-hash and stable-hash must come from podTemplateHashValue Latest and Stable")
    for doc in rollouts + find(docs, "AnalysisTemplate"):
        value = doc["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-options", "")
        if "SkipDryRunOnMissingResource=true" in value:
            problems.append(f"{env}: {doc['kind']}/{doc['metadata']['name']} must not skip the dry run: without the CRDs the Deployment would be at zero and nothing would run the pods")
    for monitor in find(docs, "ServiceMonitor"):
        if ROLLOUT_HASH_LABEL not in monitor["spec"].get("podTargetLabels", []):
            problems.append(f"{env}: ServiceMonitor/{monitor['metadata']['name']} must copy {ROLLOUT_HASH_LABEL} (podTargetLabels), or the analysis sees no canary series and passes anything")


def replica_rules(env: str, docs: list[dict], problems: list[str]) -> None:
    deployment = one(docs, "Deployment", problems, env)
    pvc = one(docs, "PersistentVolumeClaim", problems, env)
    if deployment is None or pvc is None:
        return
    replicas = serving_replicas(docs, deployment)
    labels = deployment["spec"]["template"]["metadata"].get("labels", {})
    pdbs = [
        pdb for pdb in find(docs, "PodDisruptionBudget")
        if pdb["spec"].get("selector", {}).get("matchLabels", {}).items() <= labels.items()
        and pdb["spec"].get("selector", {}).get("matchLabels")
    ]
    modes = pvc["spec"].get("accessModes", [])
    if env == "production":
        if replicas < 2:
            problems.append(f"production: {replicas} replica(s); at least 2 are required")
        if not pdbs:
            problems.append("production: no PodDisruptionBudget selects the pods")
    if env == "dev":
        if replicas != 1 or modes != ["ReadWriteOnce"]:
            problems.append("dev: one replica on a ReadWriteOnce volume")
    elif modes != ["ReadWriteMany"] or not pvc["spec"].get("storageClassName"):
        problems.append(f"{env}: workspaces need ReadWriteMany and a storageClassName")


def network_rules(env: str, docs: list[dict], problems: list[str]) -> None:
    deployment = one(docs, "Deployment", problems, env)
    if deployment is None:
        return
    labels = deployment["spec"]["template"]["metadata"].get("labels", {})
    policies = [
        np for np in find(docs, "NetworkPolicy")
        if np["spec"].get("podSelector", {}).get("matchLabels", {}).items() <= labels.items()
    ]
    if not policies:
        problems.append(f"{env}: no NetworkPolicy selects the pods")
        return
    unauthenticated = serves_unauthenticated(docs, deployment)
    for np in policies:
        where = f"{env}: NetworkPolicy/{np['metadata']['name']}"
        if set(np["spec"].get("policyTypes", [])) != {"Ingress", "Egress"}:
            problems.append(f"{where}: policyTypes must be Ingress and Egress")
        if unauthenticated and np["spec"].get("ingress"):
            # Without authentication, any peer the policy admits gets a shell: such a pod is
            # reached only with `kubectl port-forward`, which NetworkPolicy does not see.
            problems.append(f"{where}: authentication is off, so no ingress may be allowed (port-forward only)")
        for rule in np["spec"].get("ingress", []):
            # The other replicas (peer_rules checks their port).
            peers = [p for p in rule.get("from", []) if not is_peer(p, labels)]
            sources = {p.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name") for p in peers}
            if not rule.get("from") or not sources <= INGRESS_NAMESPACES:
                problems.append(f"{where}: ingress allowed only from {sorted(INGRESS_NAMESPACES)} and the other replicas")
        for rule in np["spec"].get("egress", []):
            ports = rule_ports(rule)
            to_replicas = bool(rule.get("to")) and all(is_peer(p, labels) for p in rule["to"])
            if to_replicas and ports and ports <= SERVER_PORT_NAMES:
                continue
            if not ports or not ports <= EGRESS_PORTS:
                problems.append(f"{where}: egress allowed only to DNS, HTTPS and the other replicas' port {SERVER_PORT}, found ports {sorted(map(str, ports))}")
    for service in find(docs, "Service"):
        if service["spec"].get("type", "ClusterIP") != "ClusterIP":
            problems.append(f"{env}: Service/{service['metadata']['name']} must be ClusterIP")
        if is_headless(service):
            # The replicas' address book (peer_rules); clients never connect through it.
            continue
        if service["spec"].get("sessionAffinity") != "ClientIP":
            problems.append(f"{env}: Service/{service['metadata']['name']} needs sessionAffinity: ClientIP")
    routes = find(docs, "HTTPRoute")
    if routes and find(docs, "Ingress"):
        problems.append(f"{env}: renders both an Ingress and an HTTPRoute; an overlay uses the ingress or the gateway component")
    certificates = find(docs, "Certificate")
    for route in routes:
        where = f"{env}: HTTPRoute/{route['metadata']['name']}"
        hostnames = route["spec"].get("hostnames", [])
        if not hostnames:
            problems.append(f"{where}: needs hostnames")
        for rule in route["spec"].get("rules", []):
            persistence = rule.get("sessionPersistence", {})
            if persistence.get("type") != "Cookie" or not persistence.get("sessionName"):
                problems.append(f"{where}: every rule needs cookie sessionPersistence (a session lives in one pod)")
            for ref in rule.get("backendRefs", []):
                if ref.get("kind", "Service") != "Service" or ref.get("name") != "web-terminal" or ref.get("port") != 8080:
                    problems.append(f"{where}: backendRefs must be the Service web-terminal on port 8080")
        covered = {name for cert in certificates for name in cert["spec"].get("dnsNames", [])}
        for host in hostnames:
            if host not in covered:
                problems.append(f"{where}: no cert-manager Certificate covers {host} (TLS)")
    for cert in certificates:
        if cert["spec"].get("issuerRef", {}).get("kind") not in ("ClusterIssuer", "Issuer"):
            problems.append(f"{env}: Certificate/{cert['metadata']['name']} needs a cert-manager issuerRef")
    for ingress in find(docs, "Ingress"):
        notes = ingress["metadata"].get("annotations", {})
        if notes.get("nginx.ingress.kubernetes.io/affinity") != "cookie" or "cert-manager.io/cluster-issuer" not in notes:
            problems.append(f"{env}: Ingress needs cookie affinity and a cert-manager issuer")
        if not ingress["spec"].get("tls"):
            problems.append(f"{env}: Ingress needs TLS")


def namespace_rules(env: str, docs: list[dict], problems: list[str]) -> None:
    namespaces = find(docs, "Namespace")
    expected = NAMESPACES[env]
    if [ns["metadata"]["name"] for ns in namespaces] != [expected]:
        problems.append(f"{env}: renders Namespace {expected} and no other")
    for ns in namespaces:
        if ns["metadata"].get("labels", {}).get("pod-security.kubernetes.io/enforce") != "restricted":
            problems.append(f"{env}: Namespace {ns['metadata']['name']} must enforce the restricted Pod Security Standard")
    for doc in docs:
        if doc["kind"] != "Namespace" and doc["metadata"].get("namespace") != expected:
            problems.append(f"{env}: {doc['kind']}/{doc['metadata']['name']} is not in {expected}")


def secret_rules(env: str, docs: list[dict], problems: list[str]) -> None:
    for doc in find(docs, "Secret"):
        problems.append(f"{env}: Secret/{doc['metadata']['name']} in git; reference Secrets, never include them")


def auth_rules(env: str, docs: list[dict], problems: list[str]) -> None:
    if env == "dev":
        return
    deployment = one(docs, "Deployment", problems, env)
    if deployment is None:
        return
    config = effective_config(docs, deployment)
    if str(config.get("AUTH_ENABLED", "false")).lower() != "true":
        problems.append(f"{env}: authentication must be on (the auth component)")
        return
    try:
        providers = json.loads(config.get("AUTH_JWKS_PROVIDERS", "[]"))
    except json.JSONDecodeError:
        providers = []
    if not providers or not all(str(p.get("url", "")).startswith("https://") for p in providers):
        problems.append(f"{env}: AUTH_JWKS_PROVIDERS needs at least one provider with an https:// JWKS url")


def checkov_skip_rules(env: str, docs: list[dict], problems: list[str]) -> None:
    for doc in docs:
        for key, value in doc["metadata"].get("annotations", {}).items():
            if key.startswith("checkov.io/skip"):
                check, _, reason = value.partition("=")
                if not re.fullmatch(r"CKV2?_K8S_\d+", check) or len(reason.split()) < 3:
                    problems.append(f"{env}: {doc['kind']}/{doc['metadata']['name']}: checkov skip {value!r} needs CKV_ID=written reason")


def sync_option_rules(env: str, docs: list[dict], problems: list[str]) -> None:
    """Objects of a CRD-backed kind (prometheus-operator's) skip Argo CD's dry run when their CRD
    is missing, so the rest of the environment still syncs where it is not installed yet."""
    for doc in docs:
        group = doc.get("apiVersion", "").rpartition("/")[0]
        if not group.endswith("coreos.com"):
            continue
        value = doc["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-options", "")
        if "SkipDryRunOnMissingResource=true" not in [option.strip() for option in value.split(",")]:
            problems.append(f"{env}: {doc['kind']}/{doc['metadata']['name']} needs argocd.argoproj.io/sync-options: SkipDryRunOnMissingResource=true")


def project_kinds_rule(rendered: dict[str, list[dict]], problems: list[str]) -> None:
    """Argo CD syncs only the kinds the AppProject lists: every kind an overlay renders is listed
    (or the sync of that environment fails), cluster-scoped ones as Namespace alone."""
    projects = find(rendered.get("argocd", []), "AppProject")
    if not projects:
        return
    allowed = {(entry.get("group", ""), entry.get("kind")) for entry in projects[0]["spec"].get("namespaceResourceWhitelist", [])}
    allowed |= {(entry.get("group", ""), entry.get("kind")) for entry in projects[0]["spec"].get("clusterResourceWhitelist", [])}
    for env in NAMESPACES:
        for doc in rendered.get(env, []):
            group = doc.get("apiVersion", "").rpartition("/")[0]
            if (group, doc.get("kind")) not in allowed:
                problems.append(f"argocd: the AppProject does not allow {doc.get('kind')} ({group or 'core'}), which {env} renders: Argo CD would refuse to sync it")


def argocd_rules(docs: list[dict], problems: list[str]) -> None:
    projects = find(docs, "AppProject")
    names = {p["metadata"]["name"] for p in projects}
    if "default" in names or names != {"web-terminal"}:
        problems.append(f"argocd: the AppProject must be web-terminal (not default), found {sorted(names)}")
    for project in projects:
        spec = project["spec"]
        if spec.get("sourceRepos") != [REPO_URL]:
            problems.append(f"argocd: AppProject sourceRepos must be [{REPO_URL}]")
        destinations = {d.get("namespace") for d in spec.get("destinations", [])}
        if destinations != set(NAMESPACES.values()):
            problems.append(f"argocd: AppProject destinations must be exactly {sorted(NAMESPACES.values())}")
        if spec.get("clusterResourceWhitelist") != [{"group": "", "kind": "Namespace"}]:
            problems.append("argocd: the only cluster-scoped kind allowed is Namespace")
        if "*" in json.dumps(spec):
            problems.append("argocd: no wildcards in the AppProject")
    applications = find(docs, "Application")
    paths = set()
    for app in applications:
        spec = app["spec"]
        where = f"argocd: Application/{app['metadata']['name']}"
        if spec.get("project") != "web-terminal":
            problems.append(f"{where}: project must be web-terminal, not {spec.get('project')!r}")
        source = spec.get("source", {})
        if source.get("repoURL") != REPO_URL:
            problems.append(f"{where}: repoURL must be {REPO_URL}")
        paths.add(source.get("path"))
        env = str(source.get("path", "")).rpartition("/")[2]
        if spec.get("destination", {}).get("namespace") != NAMESPACES.get(env):
            problems.append(f"{where}: destination namespace does not match {source.get('path')}")
        automated = spec.get("syncPolicy", {}).get("automated", {})
        if not (automated.get("prune") and automated.get("selfHeal")):
            problems.append(f"{where}: sync must be automated with prune and selfHeal (git is the only way in)")
    expected_paths = {f"kustomize/overlays/{env}" for env in NAMESPACES}
    if paths != expected_paths and not find(docs, "ApplicationSet"):
        problems.append(f"argocd: one Application per overlay expected, found paths {sorted(map(str, paths))}")


ENVIRONMENT_RULES = (
    pod_rules, recording_rules, image_rules, replica_rules, rollout_rules, audit_log_rules, backup_rules,
    network_rules, peer_rules, namespace_rules, secret_rules, auth_rules, checkov_skip_rules, sync_option_rules,
)


def violations(rendered: dict[str, list[dict]]) -> list[str]:
    problems: list[str] = []
    for env in NAMESPACES:
        docs = rendered.get(env)
        if not docs:
            problems.append(f"{env}: nothing rendered")
            continue
        for rule in ENVIRONMENT_RULES:
            rule(env, docs, problems)
    for variant, env in VARIANTS.items():
        docs = rendered.get(variant)
        if docs is None:
            continue
        found: list[str] = []
        for rule in ENVIRONMENT_RULES:
            rule(env, docs, found)
        problems.extend(f"{variant} variant: {problem}" for problem in found)
    argocd_rules(rendered.get("argocd", []), problems)
    project_kinds_rule(rendered, problems)
    return problems


# --- Docker Compose (deploy/compose, issue 14) ---------------------------------------------------

COMPOSE_IMAGE = re.compile(rf"^{re.escape(IMAGE_REPO)}@(sha256:[0-9a-f]{{64}}|\$\{{WEB_TERMINAL_DIGEST:\?[^}}]+\}})$")
COMPOSE_WRITABLE = {"/app/data/workspaces", "/app/data/recordings", "/app/data/logs"}
# Environment variables whose value is a secret: never a literal or a default in the file.
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY", re.I)
# ${VAR}, ${VAR:?message} and ${VAR?message} take the value from outside; ${VAR:-x} and ${VAR-x}
# fall back to x.
REQUIRED_VARIABLE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*:?\?[^}]+\}$")


def environment_of(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {str(key): "" if value is None else str(value) for key, value in env.items()}


def compose_violations(compose: dict, dashboard_source: str) -> list[str]:
    """The promises of deploy/compose/compose.yaml: every container non-root, read-only root,
    no capabilities, no-new-privileges, ports on 127.0.0.1; web-terminal by digest, healthy through
    `web-terminal healthcheck`, with volumes for its workspaces, recordings and logs; Grafana's
    dashboard mounted from `dashboard_source` (monitoring/dashboard.json, one source) and no
    password in the file (neither a literal nor a default)."""
    problems: list[str] = []
    services = compose.get("services", {})
    for name, service in services.items():
        where = f"compose: service {name}"
        user = str(service.get("user", ""))
        if not user or user.split(":")[0] in ("0", "root"):
            problems.append(f"{where}: must run as a non-root user (user: uid:gid)")
        if service.get("read_only") is not True:
            problems.append(f"{where}: read_only must be true")
        if "ALL" not in service.get("cap_drop", []):
            problems.append(f"{where}: cap_drop must contain ALL")
        if "no-new-privileges:true" not in service.get("security_opt", []):
            problems.append(f"{where}: security_opt must contain no-new-privileges:true")
        if service.get("privileged"):
            problems.append(f"{where}: privileged must not be set")
        for port in service.get("ports", []):
            if not str(port).startswith("127.0.0.1:"):
                problems.append(f"{where}: port {port} must be published on 127.0.0.1 only")
        for key, value in environment_of(service).items():
            if SECRET_NAME.search(key) and not key.endswith("__FILE"):
                if value and not REQUIRED_VARIABLE.match(value):
                    problems.append(f"{where}: {key} has a value or a default in the file; take it from a secret file or a required ${{VAR:?message}}")
    terminal = services.get("web-terminal")
    if terminal is None:
        problems.append("compose: no web-terminal service")
    else:
        if not COMPOSE_IMAGE.match(str(terminal.get("image", ""))):
            problems.append(f"compose: web-terminal image must be {IMAGE_REPO}@sha256:<64 hex> or @${{WEB_TERMINAL_DIGEST:?...}}, found {terminal.get('image')!r}")
        test = terminal.get("healthcheck", {}).get("test", [])
        if test[:3] != ["CMD", "web-terminal", "healthcheck"]:
            problems.append(f"compose: web-terminal healthcheck must run [CMD, web-terminal, healthcheck], found {test!r}")
        mounts = {str(volume).split(":")[1] for volume in terminal.get("volumes", []) if str(volume).count(":") >= 1}
        for path in sorted(COMPOSE_WRITABLE - mounts):
            problems.append(f"compose: web-terminal needs a volume at {path}")
        if not any(str(entry).split(":")[0] == "/tmp" for entry in terminal.get("tmpfs", [])):
            problems.append("compose: web-terminal needs a tmpfs at /tmp (its root filesystem is read-only)")
    grafana = services.get("grafana")
    if grafana is not None:
        env = environment_of(grafana)
        if "GF_SECURITY_ADMIN_PASSWORD" in env or not env.get("GF_SECURITY_ADMIN_PASSWORD__FILE", "").startswith("/run/secrets/"):
            problems.append("compose: Grafana's admin password must come from a secret (GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/...), never a value in the file")
        for secret in grafana.get("secrets", []):
            name = secret if isinstance(secret, str) else secret.get("source")
            source = str(compose.get("secrets", {}).get(name, {}).get("file", ""))
            if not REQUIRED_VARIABLE.match(source):
                problems.append(f"compose: secret {name} must name its file through a required ${{VAR:?message}}, so that a missing one stops `docker compose up`; found {source!r}")
        sources = [str(volume).split(":")[0] for volume in grafana.get("volumes", [])]
        if dashboard_source not in sources:
            problems.append(f"compose: Grafana must mount the dashboard from {dashboard_source} (one source, no copy)")
    return problems
