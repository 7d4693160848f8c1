"""docker-compose.yml cannot be run here (no Docker engine): check it by parsing it."""

import re
from pathlib import Path

import yaml

from service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def load() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_and_health_checks() -> None:
    services = load()["services"]
    assert set(services) == {"kafka", "postgres", "worker", "api"}
    for name, service in services.items():
        assert "healthcheck" in service, name
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["worker"]["command"] == ["wijkwacht", "worker"]
    assert services["api"]["command"] == ["wijkwacht", "api"]


def test_variables_are_settings_and_parse() -> None:
    services = load()["services"]
    known = {f"WIJKWACHT_{name.upper()}" for name in Settings.model_fields}
    for name in ("worker", "api"):
        env = services[name]["environment"]
        assert set(env) <= known, set(env) - known
        # compose fills `${NAME:-default}` with its default when NAME is unset, and refuses to
        # start when a required `${NAME:?message}` is unset: give those a value here
        values = {
            k.removeprefix("WIJKWACHT_").lower(): re.sub(
                r"\$\{\w+:\?[^}]*\}", "a-password", re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", v)
            )
            for k, v in env.items()
        }
        values["api_keys"] = "handhaving-app:a-long-key-for-tests-0001"  # required: `:?`
        settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
        assert settings.kafka_bootstrap == "kafka:9092"
        assert settings.store_url.startswith("postgresql://")


def test_broker_version_matches_the_pom() -> None:
    pom = (ROOT / "deploy/kafka/pom.xml").read_text()
    image = load()["services"]["kafka"]["image"]
    assert f"<kafka.version>{image.split(':')[1]}</kafka.version>" in pom


def test_no_password_is_written_in_the_file() -> None:
    services = load()["services"]
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${")
    url = services["api"]["environment"]["WIJKWACHT_DATABASE_URL"]
    assert ":${POSTGRES_PASSWORD:?" in url
