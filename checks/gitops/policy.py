"""Policy over the rendered manifests: what issue 6 promises about the pod, the images, the
replicas, the network and the Argo CD project. `violations()` returns every broken promise as a
line of text; `gitops_checks.check_policy` fails on any, and the broken-copy tests show that each
rule can fail.

Input: {"dev": [docs], "staging": [...], "production": [...], "argocd": [...]}, each the parsed
output of `kubectl kustomize`.
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
INGRESS_NAMESPACES = {"ingress-nginx", "monitoring"}
EGRESS_PORTS = {53, 443}


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
    timeout = int(config.get("shutdown_timeout_secs", 20))
    grace = pod.get("terminationGracePeriodSeconds", 30)
    if grace < timeout:
        problems.append(f"{name}: terminationGracePeriodSeconds {grace} < shutdown_timeout_secs {timeout}")
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


def replica_rules(env: str, docs: list[dict], problems: list[str]) -> None:
    deployment = one(docs, "Deployment", problems, env)
    pvc = one(docs, "PersistentVolumeClaim", problems, env)
    if deployment is None or pvc is None:
        return
    replicas = deployment["spec"].get("replicas", 1)
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
            peers = rule.get("from", [])
            sources = {p.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name") for p in peers}
            if not peers or not sources <= INGRESS_NAMESPACES:
                problems.append(f"{where}: ingress allowed only from {sorted(INGRESS_NAMESPACES)}")
        for rule in np["spec"].get("egress", []):
            ports = {p.get("port") for p in rule.get("ports", [])}
            if not ports or not ports <= EGRESS_PORTS:
                problems.append(f"{where}: egress allowed only to DNS and HTTPS, found ports {sorted(map(str, ports))}")
    for service in find(docs, "Service"):
        if service["spec"].get("type", "ClusterIP") != "ClusterIP":
            problems.append(f"{env}: Service/{service['metadata']['name']} must be ClusterIP")
        if service["spec"].get("sessionAffinity") != "ClientIP":
            problems.append(f"{env}: Service/{service['metadata']['name']} needs sessionAffinity: ClientIP")
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


def violations(rendered: dict[str, list[dict]]) -> list[str]:
    problems: list[str] = []
    for env in NAMESPACES:
        docs = rendered.get(env)
        if not docs:
            problems.append(f"{env}: nothing rendered")
            continue
        for rule in (pod_rules, recording_rules, image_rules, replica_rules, network_rules, namespace_rules, secret_rules, auth_rules, checkov_skip_rules, sync_option_rules):
            rule(env, docs, problems)
    argocd_rules(rendered.get("argocd", []), problems)
    return problems
