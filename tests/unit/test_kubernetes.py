"""deploy/kubernetes as a municipality runs it (VNG Haven): every manifest valid against the
Kubernetes schemas (kubernetes-validate, offline), and the rules of docs/kubernetes.md held:
non-root, read-only root filesystem, no privilege, resources, probes on the existing endpoints,
a disruption budget per deployment, secrets only from Kubernetes secrets, settings that exist,
no more workers than input partitions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "deploy" / "kubernetes"
KUBERNETES = "1.31"  # a version VNG Haven clusters run; the schemas ship with the validator
SETTINGS = {f"WIJKWACHT_{name.upper()}" for name in Settings.model_fields}


def resources() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((MANIFESTS / "kustomization.yaml").read_text())
    found = []
    for name in kustomization["resources"]:
        found += [d for d in yaml.safe_load_all((MANIFESTS / name).read_text()) if d]
    return found


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [r for r in resources() if r["kind"] == kind]


def pods() -> list[tuple[str, dict[str, Any]]]:
    return [
        (r["metadata"]["name"], r["spec"]["template"]["spec"]) for r in of_kind("Deployment")
    ] + [(r["metadata"]["name"], r["spec"]["template"]["spec"]) for r in of_kind("Job")]


def test_the_kustomization_names_every_manifest() -> None:
    kustomization = yaml.safe_load((MANIFESTS / "kustomization.yaml").read_text())
    on_disk = {p.name for p in MANIFESTS.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == on_disk


@pytest.mark.parametrize(
    "resource", resources(), ids=lambda r: f"{r['kind']}/{r['metadata']['name']}"
)
def test_every_manifest_is_valid_against_the_kubernetes_schemas(resource: dict[str, Any]) -> None:
    kubernetes_validate.validate(resource, KUBERNETES, strict=True)  # raises on any fault


def test_the_validator_does_find_a_fault() -> None:
    broken = of_kind("Deployment")[0]
    broken["spec"]["replica"] = broken["spec"].pop("replicas")  # a typo
    with pytest.raises(kubernetes_validate.ValidationError, match="replica"):
        kubernetes_validate.validate(broken, KUBERNETES, strict=True)


def test_the_processes_are_deployed_with_a_budget_each() -> None:
    commands = {
        r["metadata"]["name"]: r["spec"]["template"]["spec"]["containers"][0]["command"]
        for r in of_kind("Deployment")
    }
    assert commands == {
        "wijkwacht-api": ["wijkwacht", "api"],
        "wijkwacht-worker": ["wijkwacht", "worker"],
        "wijkwacht-materialiser": ["wijkwacht", "materialise"],
    }
    assert of_kind("Job")[0]["spec"]["template"]["spec"]["containers"][0]["command"] == [
        "wijkwacht",
        "migrate",
    ]
    budgets = {
        r["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
        for r in of_kind("PodDisruptionBudget")
    }
    assert budgets == set(commands)


@pytest.mark.parametrize("name", [name for name, _ in pods()])
def test_every_pod_runs_unprivileged_bounded_and_reads_secrets_from_secrets(name: str) -> None:
    spec = dict(pods())[name]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] == 10001  # deploy/Dockerfile's user
    assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert spec["automountServiceAccountToken"] is False
    for container in spec["containers"]:
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert "memory" in container["resources"]["limits"]
        mounted = {m["mountPath"] for m in container["volumeMounts"]}
        assert "/tmp" in mounted  # noqa: S108 (an emptyDir: the root filesystem is read-only)
        for variable in container.get("env", []):
            assert variable["name"] in SETTINGS, variable["name"]
            assert "value" not in variable  # a value written here would be no secret
            assert "secretKeyRef" in variable["valueFrom"]


@pytest.mark.parametrize(
    ("name", "probe"),
    [
        ("wijkwacht-api", ("/readyz", "/healthz")),
        ("wijkwacht-worker", ("/metrics", "/metrics")),
        ("wijkwacht-materialiser", ("/metrics", "/metrics")),
    ],
)
def test_probes_ask_the_endpoints_that_exist(name: str, probe: tuple[str, str]) -> None:
    container = dict(pods())[name]["containers"][0]
    ready, alive = container["readinessProbe"]["httpGet"], container["livenessProbe"]["httpGet"]
    assert (ready["path"], alive["path"]) == probe
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    settings = of_kind("ConfigMap")[0]["data"]
    expected = {
        "wijkwacht-api": settings["WIJKWACHT_API_PORT"],
        "wijkwacht-worker": settings["WIJKWACHT_WORKER_METRICS_PORT"],  # slot 0 in a pod
        "wijkwacht-materialiser": settings["WIJKWACHT_MATERIALISER_METRICS_PORT"],
    }[name]
    assert str(ports[ready["port"]]) == expected


def test_the_settings_are_settings_and_parse() -> None:
    data = of_kind("ConfigMap")[0]["data"]
    assert set(data) <= SETTINGS, set(data) - SETTINGS
    values = {k.removeprefix("WIJKWACHT_").lower(): v for k, v in data.items()}
    values.pop("api_keys_file")  # a secret mounted in the pod, not here
    settings = Settings(_env_file=None, **values)  # type: ignore[arg-type]
    assert settings.env == "production" and settings.topic_replication_factor == 3


def test_no_more_workers_than_input_partitions() -> None:
    partitions = int(of_kind("ConfigMap")[0]["data"]["WIJKWACHT_TOPIC_PARTITIONS"])
    for deployment in of_kind("Deployment"):
        if deployment["metadata"]["name"] in ("wijkwacht-worker", "wijkwacht-materialiser"):
            assert deployment["spec"]["replicas"] <= partitions


def test_each_process_mounts_only_its_own_kafka_credentials() -> None:
    wanted = {
        "wijkwacht-api": {"wijkwacht-api.properties", "wijkwacht-live.properties", "ca.pem"},
        "wijkwacht-worker": {"wijkwacht-worker.properties", "ca.pem"},
        "wijkwacht-materialiser": {"wijkwacht-materialiser.properties", "ca.pem"},
    }
    for name, files in wanted.items():
        volumes = {v["name"]: v for v in dict(pods())[name]["volumes"]}
        items = volumes["kafka-clients"]["secret"]["items"]
        assert {item["path"] for item in items} == files, name
