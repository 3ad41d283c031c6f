"""Every check is shown to fail: each test breaks one thing in a copy of the bundle and asserts
that the check meant to catch it fails, for the right reason. (checks/gitops.sh runs the same
checks on the real tree first, where they all pass.)"""

from __future__ import annotations

import re

import pytest

import gitops_checks as checks
from conftest import Tree
from gitops_checks import CheckFailed

PLACEHOLDER = "sha256:" + "0" * 64
DEPLOYMENT = "kustomize/base/deployment.yaml"


def policy_fails(tree: Tree, pattern: str) -> None:
    with pytest.raises(CheckFailed, match=pattern):
        checks.check_policy(tree.render())


# --- rendering and schemas ----------------------------------------------------------------------


def test_render_fails_on_a_missing_patch(tree: Tree) -> None:
    tree.edit("kustomize/overlays/staging/kustomization.yaml", "- path: replicas.yaml", "- path: replica.yaml")
    with pytest.raises(CheckFailed, match="kustomize build kustomize/overlays/staging"):
        tree.render()


def test_crd_schema_refuses_a_misspelled_application_field(tree: Tree, tmp_path) -> None:
    tree.edit("argocd/application-production.yaml", "selfHeal: true", "selfheal: true")
    with pytest.raises(CheckFailed, match=r"Application/web-terminal-production: spec/syncPolicy/automated/selfheal: Object literal may only specify known properties"):
        checks.check_crd_schemas(tree.render(), tmp_path / "crd")


def test_crd_schema_refuses_a_misspelled_servicemonitor_field(tree: Tree, tmp_path) -> None:
    tree.edit("kustomize/components/monitoring/servicemonitor.yaml", "scrapeTimeout:", "scrapeTimout:")
    with pytest.raises(CheckFailed, match=r"ServiceMonitor/web-terminal: spec/endpoints/0/scrapeTimout: Object literal may only specify known properties"):
        checks.check_crd_schemas(tree.render(), tmp_path / "crd")


def test_crd_schema_refuses_a_wrong_type_in_a_prometheusrule(tree: Tree, tmp_path) -> None:
    tree.edit("monitoring/web-terminal-rules.yaml", "for: 2m", "for: [2m]")
    with pytest.raises(CheckFailed, match=r"PrometheusRule/web-terminal: spec/groups/0/rules/0/for: must be string"):
        checks.check_crd_schemas(tree.render(), tmp_path / "crd")


def test_kubernetes_validate_refuses_an_unknown_deployment_field(tree: Tree, tmp_path) -> None:
    tree.edit(DEPLOYMENT, "readinessProbe:", "readinesProbe:")
    with pytest.raises(CheckFailed, match=r"(?s)kubernetes-validate dev.*'readinesProbe' was unexpected"):
        checks.check_kubernetes_validate(tree.render(), tmp_path / "builtin")


def test_kubernetes_validate_refuses_a_wrong_type(tree: Tree, tmp_path) -> None:
    # (Staging's and production's replica counts are the Rollout's now: see the Rollout test below.)
    tree.edit("kustomize/overlays/dev/replicas.yaml", "replicas: 1", "replicas: one")
    with pytest.raises(CheckFailed, match="kubernetes-validate dev"):
        checks.check_kubernetes_validate(tree.render(), tmp_path / "builtin")


# --- policy -------------------------------------------------------------------------------------


def test_policy_missing_drop_all(tree: Tree) -> None:
    tree.edit(DEPLOYMENT, "            capabilities:\n              drop:\n                - ALL\n", "")
    policy_fails(tree, "capabilities.drop must contain ALL")


def test_policy_automount_token_true(tree: Tree) -> None:
    tree.edit(DEPLOYMENT, "automountServiceAccountToken: false", "automountServiceAccountToken: true")
    policy_fails(tree, "automountServiceAccountToken must be false")


def test_policy_service_account_automount_true(tree: Tree) -> None:
    tree.edit("kustomize/base/serviceaccount.yaml", "automountServiceAccountToken: false", "automountServiceAccountToken: true")
    policy_fails(tree, "ServiceAccount/web-terminal: automountServiceAccountToken must be false")


def test_policy_tag_instead_of_digest(tree: Tree) -> None:
    tree.edit("kustomize/overlays/production/version.yaml", f"@{PLACEHOLDER}", ":0.1.0")
    policy_fails(tree, r"production: container web-terminal image .*:0\.1\.0: production must pin")


def test_policy_latest_tag(tree: Tree) -> None:
    tree.edit("kustomize/overlays/dev/version.yaml", ":0.1.0", ":latest")
    policy_fails(tree, "the latest tag is never used")


def test_policy_default_appproject(tree: Tree) -> None:
    tree.edit("argocd/project.yaml", "name: web-terminal\n", "name: default\n")
    policy_fails(tree, "the AppProject must be web-terminal")


def test_policy_project_missing_a_rendered_kind(tree: Tree) -> None:
    tree.edit("argocd/project.yaml", "    - group: argoproj.io\n      kind: Rollout\n", "")
    policy_fails(tree, r"does not allow Rollout \(argoproj.io\), which staging renders")


def test_policy_application_in_default_project(tree: Tree) -> None:
    tree.edit("argocd/application-staging.yaml", "project: web-terminal", "project: default")
    policy_fails(tree, "Application/web-terminal-staging: project must be web-terminal")


def test_policy_wildcard_source_repo(tree: Tree) -> None:
    tree.edit("argocd/project.yaml", "- https://github.com/web-terminal/web-terminal.git", "- '*'")
    policy_fails(tree, "sourceRepos must be")


def test_policy_production_single_replica(tree: Tree) -> None:
    tree.edit("kustomize/overlays/production/replicas.yaml", "replicas: 3", "replicas: 1")
    policy_fails(tree, "production: 1 replica")


def test_policy_missing_networkpolicy(tree: Tree) -> None:
    tree.edit("kustomize/base/kustomization.yaml", "  - networkpolicy.yaml\n", "")
    for env in ("dev", "staging", "production"):
        tree.edit(f"kustomize/overlays/{env}/kustomization.yaml", "  - path: networkpolicy.yaml\n    target:\n      kind: NetworkPolicy\n      name: web-terminal\n", "")
    policy_fails(tree, "dev: no NetworkPolicy selects the pods")


def test_policy_wider_egress(tree: Tree) -> None:
    path = tree.root / "kustomize/base/networkpolicy.yaml"
    path.write_text(path.read_text() + "    - ports:\n        - port: 22\n          protocol: TCP\n")
    policy_fails(tree, "egress allowed only to DNS, HTTPS and the other replicas")


def test_policy_loadbalancer_service(tree: Tree) -> None:
    tree.edit("kustomize/base/service.yaml", "type: ClusterIP", "type: LoadBalancer")
    policy_fails(tree, "must be ClusterIP")


def test_policy_readiness_on_health(tree: Tree) -> None:
    tree.edit(DEPLOYMENT, "path: /ready", "path: /health")
    policy_fails(tree, "readinessProbe must GET /ready")


def test_policy_grace_period_below_shutdown_timeout(tree: Tree) -> None:
    tree.edit(DEPLOYMENT, "terminationGracePeriodSeconds: 30", "terminationGracePeriodSeconds: 10")
    policy_fails(tree, r"dev: Deployment/web-terminal: terminationGracePeriodSeconds 10 < drain_timeout_secs 0 \+ shutdown_timeout_secs 20 \+ 10")


def test_policy_max_unavailable(tree: Tree) -> None:
    tree.edit(DEPLOYMENT, "maxUnavailable: 0", "maxUnavailable: 1")
    policy_fails(tree, "maxUnavailable: 0")


def test_policy_writable_root_filesystem(tree: Tree) -> None:
    tree.edit(DEPLOYMENT, "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false")
    policy_fails(tree, "readOnlyRootFilesystem must be true")


def test_policy_extra_writable_mount(tree: Tree) -> None:
    tree.edit(DEPLOYMENT, "mountPath: /app/data/logs", "mountPath: /var/log")
    policy_fails(tree, "/var/log is mounted writable")


def test_policy_missing_pod_security_label(tree: Tree) -> None:
    tree.edit("kustomize/overlays/staging/namespace.yaml", "pod-security.kubernetes.io/enforce: restricted", "pod-security.kubernetes.io/enforce: baseline")
    policy_fails(tree, "must enforce the restricted Pod Security Standard")


def test_policy_secret_in_git(tree: Tree) -> None:
    tree.write("kustomize/overlays/staging/secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: oops\nstringData:\n  token: x\n")
    tree.edit("kustomize/overlays/staging/kustomization.yaml", "  - namespace.yaml\n", "  - namespace.yaml\n  - secret.yaml\n")
    policy_fails(tree, "Secret/oops in git")


def test_policy_json_logs_outside_dev(tree: Tree) -> None:
    tree.edit("kustomize/overlays/production/config/logging.env", "WEB_TERMINAL_LOG_FORMAT=json", "WEB_TERMINAL_LOG_FORMAT=pretty")
    policy_fails(tree, "log_format must be json outside dev")


def test_policy_auth_without_providers(tree: Tree) -> None:
    tree.edit("kustomize/overlays/staging/config/auth.env", "AUTH_JWKS_PROVIDERS=[{", "AUTH_JWKS_PROVIDERS_UNUSED=[{")
    policy_fails(tree, "staging: AUTH_JWKS_PROVIDERS needs at least one provider")


def test_policy_checkov_skip_without_reason(tree: Tree) -> None:
    tree.edit(DEPLOYMENT, re.search(r"checkov.io/skip1: CKV_K8S_40=.*", (tree.root / DEPLOYMENT).read_text()).group(0), "checkov.io/skip1: CKV_K8S_40")
    policy_fails(tree, "needs CKV_ID=written reason")


def test_policy_unauthenticated_dev_reachable_from_other_namespaces(tree: Tree) -> None:
    # The fault of issue 14: dev dropped only the HTTPS egress rule, and kept the base's ingress
    # rules from the ingress controller's and the monitoring namespaces.
    text = (tree.root / "kustomize/overlays/dev/networkpolicy.yaml").read_text()
    ingress_ops = re.search(r"(?s)- op: test\n  path: /spec/ingress/0.*?value: \[\]\n", text).group(0)
    tree.edit("kustomize/overlays/dev/networkpolicy.yaml", ingress_ops, "")
    policy_fails(tree, r"dev: NetworkPolicy/web-terminal: authentication is off, so no ingress may be allowed")


def test_policy_rolling_update_that_surges_onto_a_readwriteonce_volume(tree: Tree) -> None:
    # The fault of issue 14: dev inherited maxSurge 1 / maxUnavailable 0 on its ReadWriteOnce claim.
    tree.edit("kustomize/overlays/dev/kustomization.yaml", "  - path: strategy.yaml\n", "")
    policy_fails(tree, r"dev: Deployment/web-terminal: mounts a ReadWriteOnce claim, so it must not surge")


def test_policy_monitoring_objects_without_skip_dry_run(tree: Tree) -> None:
    text = (tree.root / "kustomize/components/monitoring/kustomization.yaml").read_text()
    tree.edit("kustomize/components/monitoring/kustomization.yaml", text[text.index("\npatches:"):], "\n")
    policy_fails(tree, r"staging: PrometheusRule/web-terminal needs argocd.argoproj.io/sync-options: SkipDryRunOnMissingResource=true")


# --- checkov ------------------------------------------------------------------------------------


def test_checkov_fails_on_a_privileged_container(tree: Tree) -> None:
    tree.edit(DEPLOYMENT, "privileged: false", "privileged: true")
    rendered = tree.render()
    with pytest.raises(CheckFailed, match="CKV_K8S_16"):
        checks.check_checkov({"dev": rendered["dev"]})


def test_checkov_fails_on_a_workflow_that_allows_unsecure_commands(tree: Tree, tmp_path) -> None:
    tree.edit(".github/workflows/ci.yml", "          CHROMIUM: /usr/bin/google-chrome\n", "          CHROMIUM: /usr/bin/google-chrome\n          ACTIONS_ALLOW_UNSECURE_COMMANDS: true\n")
    with pytest.raises(CheckFailed, match=r"ci.yml:\d+-\d+: CKV_GHA_1"):
        checks.check_checkov_workflows(tree.root, tmp_path / "checkov")


def test_checkov_does_not_pass_a_workflow_it_could_not_scan(tree: Tree, tmp_path) -> None:
    # A value outside checkov's workflow schema makes it skip the file without a word.
    tree.edit(".github/workflows/promote.yml", "      contents: write\n", "      contents: writable\n")
    with pytest.raises(CheckFailed, match="promote.yml: checkov did not scan it"):
        checks.check_checkov_workflows(tree.root, tmp_path / "checkov")


# --- linters ------------------------------------------------------------------------------------


def test_yamllint_fails_on_bad_indentation(tree: Tree) -> None:
    tree.edit("kustomize/base/service.yaml", "  type: ClusterIP", "  type:   ClusterIP  ")
    with pytest.raises(CheckFailed, match="trailing-spaces"):
        checks.check_yamllint(tree.root)


def test_actionlint_fails_on_an_unknown_job_key(tree: Tree) -> None:
    tree.edit(".github/workflows/ci.yml", "    runs-on: ubuntu-24.04\n", "    runs_on: ubuntu-24.04\n")
    with pytest.raises(CheckFailed, match="actionlint"):
        checks.check_actionlint(tree.root)


def test_actionlint_fails_on_a_shell_error_in_a_run_block(tree: Tree) -> None:
    tree.edit(".github/workflows/promote.yml", 'scripts/promote.sh production "$ROLLBACK_DIGEST"', "scripts/promote.sh production $ROLLBACK_DIGEST")
    with pytest.raises(CheckFailed, match="SC2086"):
        checks.check_actionlint(tree.root)


def test_unpinned_action(tree: Tree, shared) -> None:
    tree.edit(".github/workflows/ci.yml", "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1", "actions/checkout@v7")
    with pytest.raises(CheckFailed, match=r"ci.yml:\d+: actions/checkout@v7 is not a pinned SHA"):
        checks.check_action_pins(tree.root, shared / "github")


def test_action_pinned_to_an_unlisted_sha(tree: Tree, shared) -> None:
    pins = shared / "github"
    if not list(pins.glob("ACTION-PINS*.md")):
        pytest.skip(f"no {pins}/ACTION-PINS*.md (a plain clone, the Nix sandbox): only the full-SHA rule applies there")
    tree.edit(".github/workflows/ci.yml", "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1", "actions/checkout@" + "1" * 40)
    with pytest.raises(CheckFailed, match="is not a pinned SHA"):
        checks.check_action_pins(tree.root, pins)


def test_workflow_without_job_permissions(tree: Tree) -> None:
    tree.edit(".github/workflows/ci.yml", "    permissions:\n      contents: read\n", "")
    with pytest.raises(CheckFailed, match="job nix-flake-check has no permissions"):
        checks.check_workflow_policy(tree.root)


def test_workflow_with_a_long_lived_secret(tree: Tree) -> None:
    tree.edit(".github/workflows/promote.yml", "secrets.GITHUB_TOKEN", "secrets.DEPLOY_PAT")
    with pytest.raises(CheckFailed, match="secrets.DEPLOY_PAT"):
        checks.check_workflow_policy(tree.root)


def test_production_concurrency_that_cancels(tree: Tree) -> None:
    tree.edit(".github/workflows/promote.yml", "cancel-in-progress: false", "cancel-in-progress: true")
    with pytest.raises(CheckFailed, match="must not cancel in progress"):
        checks.check_workflow_policy(tree.root)


def test_shellcheck_fails_on_a_broken_script(tree: Tree) -> None:
    tree.write("scripts/broken.sh", '#!/usr/bin/env bash\nset -euo pipefail\ncd $1\n')
    with pytest.raises(CheckFailed, match="SC2086"):
        checks.check_shellcheck(tree.root)


# --- Prometheus ---------------------------------------------------------------------------------


def test_promtool_fails_on_bad_promql(tree: Tree, tmp_path) -> None:
    tree.edit("monitoring/web-terminal-rules.yaml", 'expr: up{job="web-terminal"} == 0', 'expr: up{job="web-terminal" == 0')
    with pytest.raises(CheckFailed, match="promtool check rules"):
        checks.check_promtool_rules(tree.root, tmp_path / "prometheus")


def test_promtool_test_fails_when_a_rule_changes(tree: Tree, tmp_path) -> None:
    tree.edit("monitoring/web-terminal-rules.yaml", "web_terminal_sessions_limit > 0.9", "web_terminal_sessions_limit > 0.95")
    with pytest.raises(CheckFailed, match="promtool test rules"):
        checks.check_promtool_rules(tree.root, tmp_path / "prometheus")


def test_promtool_fails_on_a_bad_example_config(tree: Tree, tmp_path) -> None:
    tree.edit("monitoring/prometheus.yml", "scrape_interval: 15s", "scrape_interval: fifteen")
    with pytest.raises(CheckFailed, match="promtool check config"):
        checks.check_promtool_rules(tree.root, tmp_path / "prometheus")


def test_alert_without_a_silent_case(tree: Tree) -> None:
    tree.edit("monitoring/web-terminal-rules.test.yaml", "alertname: WebTerminalDown\n        exp_alerts: []", "alertname: WebTerminalSessionsNearLimit\n        exp_alerts: []")
    with pytest.raises(CheckFailed, match="WebTerminalDown: no silent case"):
        checks.check_alert_coverage(tree.root)


def test_dashboard_with_bad_promql(tree: Tree, tmp_path) -> None:
    tree.edit("monitoring/dashboard.json", "sum by (direction) (rate(", "sum by (direction) (rate((")
    with pytest.raises(CheckFailed, match="dashboard queries"):
        checks.check_dashboard(tree.root, tmp_path / "dashboard")


def test_dashboard_that_is_not_json(tree: Tree, tmp_path) -> None:
    tree.write("monitoring/dashboard.json", "{ not json")
    with pytest.raises(CheckFailed, match="not JSON"):
        checks.check_dashboard(tree.root, tmp_path / "dashboard")


def test_dashboard_showing_only_the_server_process(tree: Tree) -> None:
    # The fault of issue 14: the resource panels queried process_* only, which leave the shells out.
    tree.edit("monitoring/dashboard.json", "container_memory_working_set_bytes{", "process_resident_memory_bytes{")
    with pytest.raises(CheckFailed, match="no container-level .* container_memory_working_set_bytes"):
        checks.check_dashboard_container(tree.root)


def test_promtool_test_fails_when_the_not_scraped_alert_watches_another_job(tree: Tree, tmp_path) -> None:
    # absent() of a job label the ServiceMonitor never produces would fire all the time; of one
    # that never goes away, never. Either way the promtool cases fail.
    tree.edit("monitoring/web-terminal-rules.yaml", 'expr: absent(up{job="web-terminal"})', 'expr: absent(up{job="web-terminal-production"})')
    with pytest.raises(CheckFailed, match="promtool test rules"):
        checks.check_promtool_rules(tree.root, tmp_path / "prometheus")


def test_promtool_test_fails_without_the_not_scraped_alert(tree: Tree, tmp_path) -> None:
    # The fault of issue 14: a stopped scrape raised no alert.
    text = (tree.root / "monitoring/web-terminal-rules.yaml").read_text()
    start = text.index("        - alert: WebTerminalNotScraped")
    tree.edit("monitoring/web-terminal-rules.yaml", text[start:text.index("        - alert: WebTerminalHighErrorRatio")], "")
    with pytest.raises(CheckFailed, match="promtool test rules"):
        checks.check_promtool_rules(tree.root, tmp_path / "prometheus")


# --- recordings (issue 12) ----------------------------------------------------------------------


def test_policy_production_recordings_without_their_volume(tree: Tree) -> None:
    # recording_dir still points at /app/data/recordings, which is now the read-only root.
    tree.edit("kustomize/overlays/production/kustomization.yaml", "  - ../../components/recording\n", "")
    policy_fails(tree, r"production: recording_dir /app/data/recordings is on no volume mount")


def test_policy_production_recordings_on_an_emptydir(tree: Tree) -> None:
    # Writable, but gone with the pod, and only the pod that wrote a recording could serve it.
    tree.edit("kustomize/components/recording/deployment-mount.yaml", "- name: workspaces\n", "- name: tmp\n")
    policy_fails(tree, r"production: recording_dir /app/data/recordings must be on a mounted PersistentVolumeClaim, but /app/data/recordings is volume 'tmp'")


def test_policy_production_without_recording(tree: Tree) -> None:
    tree.edit("kustomize/overlays/production/config/recording.env", "WEB_TERMINAL_RECORDING_DIR=/app/data/recordings\n", "")
    policy_fails(tree, r"production: recording_dir must be set")


# --- progressive delivery: Argo Rollouts (issue 14) ---------------------------------------------

ROLLOUT = "kustomize/components/rollout/rollout.yaml"
ANALYSIS = "kustomize/components/rollout/analysistemplate.yaml"


def test_crd_schema_refuses_a_misspelled_rollout_field(tree: Tree, tmp_path) -> None:
    tree.edit(ROLLOUT, "progressDeadlineAbort: true", "progressDeadlineAbrot: true")
    with pytest.raises(CheckFailed, match=r"production: Rollout/web-terminal: spec/progressDeadlineAbrot: Object literal may only specify known properties"):
        checks.check_crd_schemas(tree.render(), tmp_path / "crd")


def test_crd_schema_refuses_a_wrong_type_in_a_rollout(tree: Tree, tmp_path) -> None:
    tree.edit("kustomize/overlays/production/replicas.yaml", "replicas: 3", "replicas: three")
    with pytest.raises(CheckFailed, match=r"production: Rollout/web-terminal: spec/replicas: must be integer"):
        checks.check_crd_schemas(tree.render(), tmp_path / "crd")


def test_crd_schema_refuses_a_misspelled_analysis_field(tree: Tree, tmp_path) -> None:
    tree.edit(ANALYSIS, "      failureLimit: 1\n", "      failureLimt: 1\n")
    with pytest.raises(CheckFailed, match=r"AnalysisTemplate/web-terminal-canary: spec/metrics/0/failureLimt: Object literal may only specify known properties"):
        checks.check_crd_schemas(tree.render(), tmp_path / "crd")


def test_policy_production_without_a_rollout(tree: Tree) -> None:
    tree.edit("kustomize/overlays/production/kustomization.yaml", "  - ../../components/rollout\n", "")
    policy_fails(tree, r"production: no Rollout runs Deployment/web-terminal")


def test_policy_deployment_still_running_pods_beside_the_rollout(tree: Tree) -> None:
    tree.edit("kustomize/components/rollout/kustomization.yaml", "  - path: deployment-replicas.yaml\n", "")
    policy_fails(tree, r"staging: Deployment/web-terminal must have replicas: 0")


def test_policy_rollout_analysis_on_a_missing_template(tree: Tree) -> None:
    tree.edit(ROLLOUT, "templateName: web-terminal-canary", "templateName: web-terminal-canry")
    policy_fails(tree, r"production: Rollout/web-terminal: analysis template web-terminal-canry is not rendered")


def test_policy_rollout_without_analysis(tree: Tree) -> None:
    text = (tree.root / ROLLOUT).read_text()
    tree.edit(ROLLOUT, text[text.index("      analysis:\n"):text.index("      steps:\n")], "")
    policy_fails(tree, r"production: Rollout/web-terminal: needs a background analysis")


def test_policy_analysis_that_cannot_tell_the_canary(tree: Tree) -> None:
    tree.edit("kustomize/components/monitoring/servicemonitor.yaml", "  podTargetLabels:\n    - rollouts-pod-template-hash\n", "")
    policy_fails(tree, r"production: ServiceMonitor/web-terminal must copy rollouts-pod-template-hash")


def test_policy_rollout_that_skips_the_dry_run(tree: Tree) -> None:
    tree.edit(ROLLOUT, "  name: web-terminal\n", "  name: web-terminal\n  annotations:\n    argocd.argoproj.io/sync-options: SkipDryRunOnMissingResource=true\n")
    policy_fails(tree, r"staging: Rollout/web-terminal must not skip the dry run")


def test_policy_dev_needing_argo_rollouts(tree: Tree) -> None:
    tree.edit("kustomize/overlays/dev/kustomization.yaml", "  - ../../base\n", "  - ../../base\n\ncomponents:\n  - ../../components/rollout\n")
    policy_fails(tree, r"dev: renders a Rollout")


def test_analysis_promtool_fails_when_a_threshold_changes(tree: Tree, tmp_path) -> None:
    # 10% 5xx must fail the canary; at a 50% threshold the failing case no longer fails.
    tree.edit(ANALYSIS, "failureCondition: result[0] > 0.05", "failureCondition: result[0] > 0.5")
    with pytest.raises(CheckFailed, match=r"promtool test rules \(canary analysis\)"):
        checks.check_analysis_queries(tree.root, tmp_path / "analysis")


def test_analysis_promtool_fails_when_a_query_counts_the_wrong_outcome(tree: Tree, tmp_path) -> None:
    # Shells that exit non-zero are no start failures: counting outcome="failed" fails the canary
    # in the passing case.
    tree.edit(ANALYSIS, 'outcome=~"start_failed|refused_limit"}', 'outcome=~"start_failed|refused_limit|failed"}')
    with pytest.raises(CheckFailed, match=r"promtool test rules \(canary analysis\)"):
        checks.check_analysis_queries(tree.root, tmp_path / "analysis")


def test_analysis_promtool_fails_when_a_query_ignores_the_canary_hash(tree: Tree, tmp_path) -> None:
    # Without the hash the stable pods' 5xx would abort a healthy canary.
    tree.edit(ANALYSIS, 'rollouts_pod_template_hash="{{args.canary-hash}}", route!="/ready", status=~"5.."', 'route!="/ready", status=~"5.."')
    with pytest.raises(CheckFailed, match=r"promtool test rules \(canary analysis\)"):
        checks.check_analysis_queries(tree.root, tmp_path / "analysis")


def test_analysis_metric_that_the_rules_cannot_mirror(tree: Tree, tmp_path) -> None:
    tree.edit(ANALYSIS, "failureCondition: result[0] > 0.1", "successCondition: result[0] <= 0.1")
    with pytest.raises(CheckFailed, match=r"readiness-failure-ratio: needs failureCondition"):
        checks.check_analysis_queries(tree.root, tmp_path / "analysis")


def test_analysis_metric_without_a_passing_case(tree: Tree, tmp_path) -> None:
    text = (tree.root / "monitoring/rollout-analysis.test.yaml").read_text()
    start = text.index("  - name: a ready canary passes while a stable pod drains")
    tree.edit("monitoring/rollout-analysis.test.yaml", text[start:text.index("  # --- session-start-failure-ratio")], "")
    tree.edit("monitoring/rollout-analysis.test.yaml", "      - eval_time: 10m\n        alertname: WebTerminalCanaryReadinessFailureRatio\n        exp_alerts: []\n", "")
    with pytest.raises(CheckFailed, match=r"WebTerminalCanaryReadinessFailureRatio: no passing case"):
        checks.check_analysis_queries(tree.root, tmp_path / "analysis")


# --- the audit log (issue 14) -------------------------------------------------------------------


def test_policy_production_audit_log_on_an_emptydir(tree: Tree) -> None:
    tree.edit("kustomize/components/auth/auth.env", "AUTH_AUDIT_LOG_FILE=\n", "AUTH_AUDIT_LOG_FILE=/app/data/logs/auth-audit.log\n")
    policy_fails(tree, r"production: the audit log /app/data/logs/auth-audit.log is on emptyDir volume 'logs', which goes with the pod")


def test_policy_audit_log_on_the_read_only_root(tree: Tree) -> None:
    tree.edit("kustomize/components/auth/auth.env", "AUTH_AUDIT_LOG_FILE=\n", "AUTH_AUDIT_LOG_FILE=/var/log/audit.log\n")
    policy_fails(tree, r"staging: the audit log /var/log/audit.log is on no writable volume mount")


# --- Docker Compose (issue 14) ------------------------------------------------------------------

COMPOSE = "deploy/compose/compose.yaml"


def compose_fails(tree: Tree, tmp_path, pattern: str) -> None:
    with pytest.raises(CheckFailed, match=pattern):
        checks.check_compose(tree.root, tmp_path / "compose")


def test_compose_schema_refuses_an_unknown_key(tree: Tree, tmp_path) -> None:
    tree.edit(COMPOSE, "    stop_grace_period: 30s\n", "    stop_grace_periode: 30s\n")
    compose_fails(tree, tmp_path, r"services/web-terminal: 'stop_grace_periode' does not match any of the regexes")


def test_compose_schema_refuses_a_wrong_type(tree: Tree, tmp_path) -> None:
    tree.edit(COMPOSE, "      retries: 3\n", "      retries: three\n")
    compose_fails(tree, tmp_path, r"services/web-terminal/healthcheck/retries: 'three' is not of type 'number'")


def test_compose_schema_that_is_not_the_pinned_one(tree: Tree, tmp_path, monkeypatch) -> None:
    models = tmp_path / "models"
    schema = models / checks.COMPOSE_SCHEMA
    schema.parent.mkdir(parents=True)
    schema.write_text('{"type": "object"}')
    monkeypatch.setenv("WEB_TERMINAL_CRD_MODELS", str(models))
    compose_fails(tree, tmp_path, r"compose-spec.json: sha256 [0-9a-f]{64}, expected " + checks.COMPOSE_SCHEMA_SHA256)


def test_compose_writable_root_filesystem(tree: Tree, tmp_path) -> None:
    tree.edit(COMPOSE, "    read_only: true\n", "    read_only: false\n")
    compose_fails(tree, tmp_path, r"compose: service web-terminal: read_only must be true")


def test_compose_container_as_root(tree: Tree, tmp_path) -> None:
    tree.edit(COMPOSE, 'user: "472:0"', 'user: "0:0"')
    compose_fails(tree, tmp_path, r"compose: service grafana: must run as a non-root user")


def test_compose_default_admin_password(tree: Tree, tmp_path) -> None:
    tree.edit(COMPOSE, "      GF_SECURITY_ADMIN_PASSWORD__FILE: /run/secrets/grafana_admin_password\n", "      GF_SECURITY_ADMIN_PASSWORD: ${GRAFANA_ADMIN_PASSWORD:-admin}\n")
    compose_fails(tree, tmp_path, r"(?s)GF_SECURITY_ADMIN_PASSWORD has a value or a default in the file.*admin password must come from a secret")


def test_compose_secret_file_that_may_be_missing(tree: Tree, tmp_path) -> None:
    text = (tree.root / COMPOSE).read_text()
    line = next(line for line in text.splitlines() if line.startswith("    file: ${GRAFANA_ADMIN_PASSWORD_FILE"))
    tree.edit(COMPOSE, line, "    file: ./grafana-admin-password")
    compose_fails(tree, tmp_path, r"compose: secret grafana_admin_password must name its file through a required")


def test_compose_healthcheck_without_the_binary(tree: Tree, tmp_path) -> None:
    tree.edit(COMPOSE, 'test: ["CMD", "web-terminal", "healthcheck"]', 'test: ["CMD", "curl", "-f", "http://localhost:8080/health"]')
    compose_fails(tree, tmp_path, r"compose: web-terminal healthcheck must run \[CMD, web-terminal, healthcheck\]")


def test_compose_without_a_recordings_volume(tree: Tree, tmp_path) -> None:
    tree.edit(COMPOSE, "      - recordings:/app/data/recordings\n", "")
    compose_fails(tree, tmp_path, r"compose: web-terminal needs a volume at /app/data/recordings")


def test_compose_image_by_tag(tree: Tree, tmp_path) -> None:
    text = (tree.root / COMPOSE).read_text()
    line = next(line for line in text.splitlines() if "image: ghcr.io/web-terminal/web-terminal@" in line)
    tree.edit(COMPOSE, line, "    image: ghcr.io/web-terminal/web-terminal:latest")
    compose_fails(tree, tmp_path, r"compose: web-terminal image must be ghcr.io/web-terminal/web-terminal@sha256")


def test_compose_dashboard_copied_instead_of_mounted(tree: Tree, tmp_path) -> None:
    tree.write("deploy/compose/grafana/dashboard.json", (tree.root / "monitoring/dashboard.json").read_text())
    tree.edit(COMPOSE, "../../monitoring/dashboard.json:", "./grafana/dashboard.json:")
    compose_fails(tree, tmp_path, r"(?s)Grafana must mount the dashboard from \.\./\.\./monitoring/dashboard\.json.*a copy of monitoring/dashboard\.json")


def test_compose_port_on_every_address(tree: Tree, tmp_path) -> None:
    tree.edit(COMPOSE, "      - 127.0.0.1:8080:8080\n", "      - 8080:8080\n")
    compose_fails(tree, tmp_path, r"compose: service web-terminal: port 8080:8080 must be published on 127.0.0.1 only")


def test_compose_prometheus_config_that_promtool_refuses(tree: Tree, tmp_path) -> None:
    tree.edit("deploy/compose/prometheus.yml", "scrape_interval: 15s", "scrape_interval: fifteen")
    compose_fails(tree, tmp_path, r"promtool check config \(Compose\)")


# --- backups (issue 14) -------------------------------------------------------------------------

BACKUP = "kustomize/components/backup/cronjob.yaml"


def test_policy_production_without_backups(tree: Tree) -> None:
    tree.edit("kustomize/overlays/production/kustomization.yaml", "  - ../../components/backup\n", "")
    policy_fails(tree, r"production: no CronJob web-terminal-backup backs the workspaces up")


def test_policy_backup_without_30_days_retention(tree: Tree) -> None:
    tree.edit(BACKUP, "--keep-within 30d", "--keep-within 7d")
    policy_fails(tree, r"production: CronJob/web-terminal-backup container restic: must keep 30 days")


def test_policy_backup_that_mounts_the_workspaces_writable(tree: Tree) -> None:
    tree.edit(BACKUP, "                  mountPath: /data/workspaces\n                  readOnly: true\n", "                  mountPath: /data/workspaces\n")
    policy_fails(tree, r"staging: CronJob/web-terminal-backup container restic: must mount the workspaces claim read-only")


def test_policy_backup_image_by_tag(tree: Tree) -> None:
    tree.edit(BACKUP, "restic/restic:0.18.1@sha256:39d9072fb5651c80d75c7a811612eb60b4c06b32ffe87c2e9f3c7222e1797e76", "restic/restic:0.18.1")
    policy_fails(tree, r"CronJob/web-terminal-backup container restic: image restic/restic:0.18.1 must be pinned by digest")


def test_kubernetes_validate_refuses_a_misspelled_cronjob_field(tree: Tree, tmp_path) -> None:
    tree.edit(BACKUP, "concurrencyPolicy: Forbid", "concurrencyPolcy: Forbid")
    with pytest.raises(CheckFailed, match=r"(?s)kubernetes-validate staging.*'concurrencyPolcy' was unexpected"):
        checks.check_kubernetes_validate(tree.render(), tmp_path / "builtin")


def test_checkov_fails_on_a_backup_that_may_escalate(tree: Tree) -> None:
    tree.edit(BACKUP, "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true")
    rendered = tree.render()
    with pytest.raises(CheckFailed, match="CKV_K8S_20"):
        checks.check_checkov({"production": rendered["production"]})


# --- Gateway API (issue 14) ---------------------------------------------------------------------

ROUTE = "kustomize/components/gateway/httproute.yaml"


def test_crd_schema_refuses_a_misspelled_httproute_field(tree: Tree, tmp_path) -> None:
    tree.edit(ROUTE, "      sessionPersistence:", "      sessionPersistance:")
    with pytest.raises(CheckFailed, match=r"gateway: HTTPRoute/web-terminal: spec/rules/0/sessionPersistance: Object literal may only specify known properties"):
        checks.check_crd_schemas(tree.render(), tmp_path / "crd")


def test_crd_schema_refuses_a_bad_session_timeout(tree: Tree, tmp_path) -> None:
    tree.edit(ROUTE, "absoluteTimeout: 12h", "absoluteTimeout: 12 hours")
    with pytest.raises(CheckFailed, match=r"gateway: HTTPRoute/web-terminal: spec/rules/0/sessionPersistence/absoluteTimeout: must match pattern"):
        checks.check_crd_schemas(tree.render(), tmp_path / "crd")


def test_crd_schema_refuses_a_misspelled_certificate_field(tree: Tree, tmp_path) -> None:
    tree.edit("kustomize/components/gateway/certificate.yaml", "  secretName: web-terminal-tls", "  secretNam: web-terminal-tls")
    with pytest.raises(CheckFailed, match=r"gateway: Certificate/web-terminal: spec/secretNam: Object literal may only specify known properties"):
        checks.check_crd_schemas(tree.render(), tmp_path / "crd")


def test_policy_route_without_session_persistence(tree: Tree) -> None:
    text = (tree.root / ROUTE).read_text()
    tree.edit(ROUTE, text[text.index("      sessionPersistence:"):], "")
    policy_fails(tree, r"gateway variant: production: HTTPRoute/web-terminal: every rule needs cookie sessionPersistence")


def test_policy_route_host_without_a_certificate(tree: Tree) -> None:
    tree.edit("kustomize/variants/gateway/kustomization.yaml", "        path: /spec/dnsNames/0\n        value: terminal.example.com", "        path: /spec/dnsNames/0\n        value: other.example.com")
    policy_fails(tree, r"gateway variant: production: HTTPRoute/web-terminal: no cert-manager Certificate covers terminal.example.com")


def test_policy_route_beside_the_ingress(tree: Tree) -> None:
    text = (tree.root / "kustomize/variants/gateway/kustomization.yaml").read_text()
    start = text.index("  # The overlay's Ingress goes")
    tree.edit("kustomize/variants/gateway/kustomization.yaml", text[start:text.index("  # This environment's host name")], "")
    policy_fails(tree, r"gateway variant: production: renders both an Ingress and an HTTPRoute")


# --- logs (issue 14) ----------------------------------------------------------------------------

OPERATIONS = "docs/operations.md"


def test_fluent_bit_rule_that_misses_the_audit_lines(tree: Tree) -> None:
    tree.edit(OPERATIONS, "Rule              $log_type ^audit$ audit.web-terminal false", "Rule              $type ^audit$ audit.web-terminal false")
    with pytest.raises(CheckFailed, match=r"rewrite_tag: an audit line \(log_type audit\) keeps the container tag"):
        checks.check_fluent_bit(tree.root)


def test_fluent_bit_without_merged_json(tree: Tree) -> None:
    tree.edit(OPERATIONS, "    Merge_Log         On\n", "    Merge_Log         Off\n")
    with pytest.raises(CheckFailed, match=r"kubernetes filter: must match the container tag with Merge_Log On"):
        checks.check_fluent_bit(tree.root)


def test_fluent_bit_path_that_misses_an_environment(tree: Tree) -> None:
    tree.edit(OPERATIONS, "/var/log/containers/web-terminal-*_web-terminal-*_web-terminal-*.log", "/var/log/containers/web-terminal-*_web-terminal-production_web-terminal-*.log")
    with pytest.raises(CheckFailed, match=r"container input: Path .* misses .*_web-terminal-staging_"):
        checks.check_fluent_bit(tree.root)


def test_fluent_bit_audit_and_server_lines_in_one_output(tree: Tree) -> None:
    tree.edit(OPERATIONS, "    Match             audit.*\n", "    Match             *\n")
    with pytest.raises(CheckFailed, match=r"outputs: audit events and the server's lines reach the same output"):
        checks.check_fluent_bit(tree.root)


def test_fluent_bit_audit_file_without_rotation_handling(tree: Tree) -> None:
    tree.edit(OPERATIONS, "    Rotate_Wait       30\n", "")
    with pytest.raises(CheckFailed, match=r"audit file input: needs Parser json, Rotate_Wait and DB"):
        checks.check_fluent_bit(tree.root)


# --- replicas and drain (issue 13) --------------------------------------------------------------

PEERS = "kustomize/components/peers"


def test_policy_peer_service_not_headless(tree: Tree) -> None:
    tree.edit(f"{PEERS}/service.yaml", "  clusterIP: None\n", "")
    policy_fails(tree, r"staging: 2 replicas need a headless Service \(clusterIP: None\) over the pods")


def test_policy_peer_service_without_not_ready_addresses(tree: Tree) -> None:
    tree.edit(f"{PEERS}/service.yaml", "publishNotReadyAddresses: true", "publishNotReadyAddresses: false")
    policy_fails(tree, r"production: Service/web-terminal-peers: needs publishNotReadyAddresses: true, or a draining pod")


def test_policy_peer_service_selecting_other_pods(tree: Tree) -> None:
    tree.edit(f"{PEERS}/service.yaml", "  selector:\n    app.kubernetes.io/name: web-terminal\n", "  selector:\n    app.kubernetes.io/name: web-terminal-backup\n")
    policy_fails(tree, r"staging: Service/web-terminal-peers: the selector must pick the server's pods")


def test_policy_peer_service_on_another_port(tree: Tree) -> None:
    tree.edit(f"{PEERS}/service.yaml", "      port: 8080\n", "      port: 80\n")
    policy_fails(tree, r"production: Service/web-terminal-peers: needs port 8080 to the server's port")


def test_policy_node_name_from_the_pod_name(tree: Tree) -> None:
    # The design the issue first proposed: pod names under a subdomain. A Deployment's pods have no
    # DNS record by name (only with spec.hostname), so every relay would end in 4404.
    text = (tree.root / f"{PEERS}/deployment.yaml").read_text()
    start = text.index("          command:\n")
    tree.edit(f"{PEERS}/deployment.yaml", text[start:text.index("            - name: WEB_TERMINAL_PEER_URL_TEMPLATE")], (
        "          env:\n"
        "            - name: WEB_TERMINAL_NODE_NAME\n"
        "              valueFrom:\n"
        "                fieldRef:\n"
        "                  fieldPath: metadata.name\n"
    ))
    tree.edit(f"{PEERS}/deployment.yaml", "    spec:\n      containers:", "    spec:\n      subdomain: web-terminal-peers\n      containers:")
    policy_fails(tree, r"staging: WEB_TERMINAL_NODE_NAME is the pod's name, which has no DNS record")


def test_policy_node_name_without_the_pod_ip(tree: Tree) -> None:
    tree.edit(f"{PEERS}/deployment.yaml", "fieldPath: status.podIP", "fieldPath: status.hostIP")
    policy_fails(tree, r"production: the node name must be the pod's dashed IP")


def test_policy_peer_template_in_another_namespace(tree: Tree) -> None:
    # Without the overlay's replacements the placeholder stays; with a copied value, staging's
    # replicas would relay into production's.
    text = (tree.root / "kustomize/overlays/staging/kustomization.yaml").read_text()
    tree.edit("kustomize/overlays/staging/kustomization.yaml", text[text.index("\n# The peers component's URL template"):], "\n")
    policy_fails(tree, r"(?s)staging: WEB_TERMINAL_PEER_URL_TEMPLATE is 'http://\{node\}.web-terminal-peers.NAMESPACE.svc:8080', must be 'http://\{node\}.web-terminal-peers.web-terminal-staging.svc:8080'.*staging: WEB_TERMINAL_PEER_SERVICE")


def test_policy_networkpolicy_without_peer_egress(tree: Tree) -> None:
    text = (tree.root / f"{PEERS}/networkpolicy.yaml").read_text()
    tree.edit(f"{PEERS}/networkpolicy.yaml", text[text.index("- op: add\n  path: /spec/egress/-"):], "")
    policy_fails(tree, r"staging: the NetworkPolicy must allow egress to the other replicas on port 8080")


def test_policy_networkpolicy_peer_rule_on_every_port(tree: Tree) -> None:
    tree.edit(f"{PEERS}/networkpolicy.yaml", "            app.kubernetes.io/name: web-terminal\n    ports:\n      - port: http\n        protocol: TCP\n", "            app.kubernetes.io/name: web-terminal\n")
    policy_fails(tree, r"production: NetworkPolicy ingress from the replicas allows ports all; only 8080")


def test_policy_networkpolicy_peer_egress_on_another_port(tree: Tree) -> None:
    tree.edit(f"{PEERS}/networkpolicy.yaml", "      - port: 8080\n", "      - port: 22\n")
    policy_fails(tree, r"(?s)staging: NetworkPolicy/web-terminal: egress allowed only to DNS, HTTPS and the other replicas' port 8080, found ports \['22'\].*NetworkPolicy egress to the replicas allows ports \['22'\]; only 8080")


def test_policy_grace_period_below_the_drain(tree: Tree) -> None:
    tree.edit("kustomize/overlays/production/drain.yaml", "terminationGracePeriodSeconds: 14460", "terminationGracePeriodSeconds: 14400")
    policy_fails(tree, r"production: Deployment/web-terminal: terminationGracePeriodSeconds 14400 < drain_timeout_secs 14400 \+ shutdown_timeout_secs 20 \+ 10")


def test_policy_drain_raised_without_the_grace_period(tree: Tree) -> None:
    tree.edit("kustomize/overlays/staging/config/drain.env", "WEB_TERMINAL_DRAIN_TIMEOUT_SECS=1800", "WEB_TERMINAL_DRAIN_TIMEOUT_SECS=3600")
    policy_fails(tree, r"staging: Deployment/web-terminal: terminationGracePeriodSeconds 1860 < drain_timeout_secs 3600")


def test_policy_rollout_template_with_a_short_grace_period(tree: Tree) -> None:
    # A Rollout that carries its own pod template (instead of, or over, workloadRef) is checked too.
    tree.write("kustomize/overlays/production/rollout-template.yaml", (
        "- op: add\n"
        "  path: /spec/template\n"
        "  value:\n"
        "    metadata:\n"
        "      labels:\n"
        "        app.kubernetes.io/name: web-terminal\n"
        "    spec:\n"
        "      terminationGracePeriodSeconds: 30\n"
        "      containers:\n"
        "        - name: web-terminal\n"
        "          env:\n"
        "            - name: WEB_TERMINAL_DRAIN_TIMEOUT_SECS\n"
        "              value: \"14400\"\n"
    ))
    tree.edit("kustomize/overlays/production/kustomization.yaml", "  - path: resources.yaml\n", "  - path: resources.yaml\n  - path: rollout-template.yaml\n    target:\n      kind: Rollout\n      name: web-terminal\n")
    policy_fails(tree, r"production: Rollout/web-terminal: terminationGracePeriodSeconds 30 < drain_timeout_secs 14400 \+ shutdown_timeout_secs 20 \+ 10")
