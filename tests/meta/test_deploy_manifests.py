"""The deployment files are valid and agree with Kizuna: every Kubernetes manifest in deploy/k8s passes
the API schema in strict mode (``kubernetes_validate``), the pieces refer to each other correctly, only
real settings are named, and the nginx template is accepted by ``nginx -t`` (when nginx is
installed; required under ``CI=true``)."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import kubernetes_validate
import pytest
import yaml

from kizuna.settings import SettingsError, documented_settings, load_settings
from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
NGINX_TEMPLATE = ROOT / "deploy" / "nginx" / "kizuna.conf"
# The oldest Kubernetes still widely run, and the newest the validator ships.
VERSIONS = ["1.30.0", kubernetes_validate.utils.latest_version()]
NOT_SETTINGS = {
    "KIZUNA_CONFIG",  # the config file's path, read before the settings
    "KIZUNA_TEST_POSTGRES_URL",  # the test suite's and benchmarks' servers
    "KIZUNA_TEST_REDIS_URL",
    "KIZUNA_LISTEN",  # the nginx template's placeholders
    "KIZUNA_UPSTREAMS",
    "KIZUNA_CLIENT_MAX_BODY_SIZE",
}


def manifests() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                found.append((path.name, doc))
    return found


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for _name, doc in manifests() if doc["kind"] == kind]


def one(kind: str, name: str) -> dict[str, Any]:
    found = [doc for doc in of_kind(kind) if doc["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}"
    return found[0]


def pod_containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return list(doc["spec"]["template"]["spec"]["containers"])


def load_replicas() -> ModuleType:
    name = "kizuna_bench_replicas"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / "replicas.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("name", "doc"), manifests(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_manifest_is_valid_in_strict_mode(name: str, doc: dict[str, Any], version: str) -> None:
    kubernetes_validate.validate(doc, version, strict=True)


def test_the_example_has_every_piece() -> None:
    kinds = {doc["kind"] for _name, doc in manifests()}
    assert kinds >= {
        "ConfigMap",
        "Secret",
        "PersistentVolumeClaim",
        "Job",
        "Deployment",
        "Service",
        "Ingress",
        "PodDisruptionBudget",
    }


def test_the_deployment_serves_probes_and_reads_its_settings() -> None:
    deployment = one("Deployment", "kizuna")
    spec = deployment["spec"]
    assert spec["replicas"] >= 2
    pod = spec["template"]
    assert spec["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    (container,) = pod_containers(deployment)
    assert container["command"][:2] == ["kizuna", "serve"]
    port = next(p for p in container["ports"] if p["name"] == "http")["containerPort"]
    assert container["command"][container["command"].index("--port") + 1] == str(port)
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert "limits" in container["resources"] and "requests" in container["resources"]
    refs = {(k, v["name"]) for ref in container["envFrom"] for k, v in ref.items()}
    assert refs == {("configMapRef", "kizuna"), ("secretRef", "kizuna")}
    claims = {
        v["persistentVolumeClaim"]["claimName"]
        for v in pod["spec"]["volumes"]
        if "persistentVolumeClaim" in v
    }
    assert claims == {doc["metadata"]["name"] for doc in of_kind("PersistentVolumeClaim")}
    assert one("PersistentVolumeClaim", "kizuna-data")["spec"]["accessModes"] == ["ReadWriteMany"]


def test_the_migration_job_upgrades_with_the_same_settings_and_image() -> None:
    job = one("Job", "kizuna-migrate")
    (container,) = pod_containers(job)
    (web,) = pod_containers(one("Deployment", "kizuna"))
    assert container["command"] == ["kizuna", "db", "upgrade"]
    assert container["image"] == web["image"]
    assert container["envFrom"] == web["envFrom"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_service_and_ingresses_reach_the_pods() -> None:
    deployment = one("Deployment", "kizuna")
    service = one("Service", "kizuna")
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    ports = {p["name"] for p in service["spec"]["ports"]}
    for ingress in of_kind("Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                assert backend["name"] == "kizuna" and backend["port"]["name"] in ports


def _bytes(size: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", size.lower()).groups()  # type: ignore[union-attr]
    return int(number) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]


def test_the_stream_ingress_does_not_buffer_and_bodies_fit_the_upload_limit() -> None:
    events = [
        ing
        for ing in of_kind("Ingress")
        if any(p["path"] == "/events" for r in ing["spec"]["rules"] for p in r["http"]["paths"])
    ]
    assert len(events) == 1
    notes = events[0]["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 600
    upload = int(one("ConfigMap", "kizuna")["data"]["KIZUNA_MAX_UPLOAD_BYTES"])
    for ingress in of_kind("Ingress"):
        size = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
        assert _bytes(size) > upload, ingress["metadata"]["name"]


def test_only_real_settings_are_named() -> None:
    known = set(documented_settings())
    texts = {
        path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
        for path in [*K8S.glob("*.yaml"), NGINX_TEMPLATE, ROOT / "docs" / "deploy.md"]
    }
    for name, text in texts.items():
        unknown = set(re.findall(r"\bKIZUNA_[A-Z0-9_]+\b", text)) - known - NOT_SETTINGS
        assert not unknown, f"{name} names settings that do not exist: {sorted(unknown)}"
    for doc in of_kind("ConfigMap") + of_kind("Secret"):
        keys = set(doc.get("data", {})) | set(doc.get("stringData", {}))
        assert {k for k in keys if k.startswith("KIZUNA_")} <= known


def test_the_example_secret_key_is_refused_in_production() -> None:
    secret = one("Secret", "kizuna")["stringData"]
    with pytest.raises(SettingsError):
        load_settings(
            environ={"KIZUNA_ENVIRONMENT": "production", "KIZUNA_SECRET_KEY": secret["KIZUNA_SECRET_KEY"]}
        )


def test_the_nginx_template_streams_events_unbuffered() -> None:
    text = NGINX_TEMPLATE.read_text(encoding="utf-8")
    block = re.search(r"location = /events \{(.*?)\}", text, re.S)
    assert block, "no /events location"
    for directive in ("proxy_buffering off;", "proxy_cache off;", "gzip off;", "proxy_read_timeout 1h;"):
        assert directive in block.group(1)
    assert "X-Accel-Buffering" not in re.sub(r"#.*", "", text)  # never ignored nor stripped
    assert re.search(r"^\s*keepalive \d+;", text, re.M)
    assert "proxy_http_version 1.1;" in text and 'proxy_set_header Connection "";' in text
    assert "proxy_set_header X-Forwarded-For" in text and "proxy_set_header X-Forwarded-Proto" in text


def test_nginx_accepts_the_rendered_template(tmp_path: Path) -> None:
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        if IN_CI:
            pytest.fail("nginx is not installed; CI=true requires it", pytrace=False)
        pytest.skip("nginx is not installed (Debian package nginx)")
    replicas = load_replicas()
    prefix = tmp_path / "nginx"
    conf = replicas.write_nginx_prefix(
        prefix, ["127.0.0.1:8001", "127.0.0.1:8002"], "127.0.0.1:8080", 104857600
    )
    done: subprocess.CompletedProcess[str] = replicas.check_nginx_conf(prefix, conf)
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr
    site = (prefix / "conf" / "kizuna.conf").read_text()
    assert "server 127.0.0.1:8001; server 127.0.0.1:8002;" in site
    assert "client_max_body_size 105906176;" in site  # the upload limit plus 1 MiB
