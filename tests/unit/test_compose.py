"""docker-compose.yml cannot be run here (no Docker engine): check it by parsing it, and check
what its `kafka-setup` writes by running that here."""

import re
import shlex
from pathlib import Path

import yaml

from service.devtools.compose_kafka import write_setup
from service.kafka.clientfile import read_properties, settings_fields
from service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def load() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_and_health_checks() -> None:
    services = load()["services"]
    assert set(services) == {
        "kafka-setup",
        "kafka",
        "kafka-2",
        "kafka-3",
        "kafka-acls",
        "postgres",
        "worker",
        "materialiser",
        "api",
    }
    for name in ("kafka", "postgres", "worker", "materialiser", "api"):
        assert "healthcheck" in services[name], name
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["command"] == ["bash", "/setup/kafka/start.sh"]
    assert services["kafka-setup"]["command"][:3] == [
        "python",
        "-m",
        "service.devtools.compose_kafka",
    ]
    assert services["kafka-acls"]["command"] == ["wijkwacht", "acl", "apply"]
    assert services["postgres"]["image"].startswith("postgres:")
    for name in ("kafka-2", "kafka-3"):
        assert services[name]["profiles"] == ["cluster"]
        assert services[name]["image"] == services["kafka"]["image"]
        assert services[name]["command"] == ["bash", f"/setup/kafka/start-{name}.sh"]
        acls = services["kafka-acls"]["depends_on"][name]
        assert acls == {"condition": "service_healthy", "required": False}
    assert services["worker"]["command"] == ["wijkwacht", "worker"]
    assert services["materialiser"]["command"] == ["wijkwacht", "materialise"]
    assert services["api"]["command"] == ["wijkwacht", "api"]


def test_start_order_setup_broker_acls_then_the_service() -> None:
    services = load()["services"]
    assert services["kafka"]["depends_on"]["kafka-setup"]["condition"] == (
        "service_completed_successfully"
    )
    assert services["kafka-acls"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    for name in ("worker", "materialiser", "api"):
        assert services[name]["depends_on"]["kafka-acls"]["condition"] == (
            "service_completed_successfully"
        )
        assert "kafka-setup:/setup:ro" in services[name]["volumes"], name


def test_variables_are_settings_and_parse() -> None:
    services = load()["services"]
    known = {f"WIJKWACHT_{name.upper()}" for name in Settings.model_fields}
    for name in ("worker", "materialiser", "api", "kafka-acls", "kafka-setup"):
        env = services[name]["environment"]
        assert set(env) <= known, set(env) - known
        # compose fills `${NAME:-default}` with its default when NAME is unset, and refuses to
        # start when a required `${NAME:?message}` is unset: give those a value here
        values = {
            k.removeprefix("WIJKWACHT_").lower(): re.sub(
                r"\$\{\w+:\?[^}]*\}",
                "a-long-secret-0123456789",
                re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", v),
            )
            for k, v in env.items()
        }
        if "api_keys" in values:
            values["api_keys"] = "handhaving-app:a-long-key-for-tests-0001"  # required: `:?`
        settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
        if name != "kafka-setup":
            assert settings.kafka_bootstrap == "kafka:9093", name
            assert settings.kafka_clients_dir == Path("/setup/kafka/clients"), name
        if name in ("materialiser", "api"):
            assert settings.store_url.startswith("postgresql://")
    assert "WIJKWACHT_API_KEYS" not in services["worker"]["environment"]  # it finds the topics


def test_broker_version_matches_the_pom() -> None:
    pom = (ROOT / "deploy/kafka/pom.xml").read_text()
    image = load()["services"]["kafka"]["image"]
    assert f"<kafka.version>{image.split(':')[1]}</kafka.version>" in pom


def test_no_password_is_written_in_the_file() -> None:
    services = load()["services"]
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${")
    url = services["api"]["environment"]["WIJKWACHT_DATABASE_URL"]
    assert ":${POSTGRES_PASSWORD:?" in url
    assert services["api"]["environment"]["WIJKWACHT_API_KEYS"].startswith("${")
    for name in ("api", "worker"):  # both need the same seal key, and it is required
        assert services[name]["environment"]["WIJKWACHT_SEAL_KEY"].startswith("${WIJKWACHT_SEAL")


def test_the_setup_secures_the_broker_and_gives_every_principal_a_client_file(
    tmp_path: Path,
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        api_keys="handhaving-app:a-long-key-for-tests-0001",
        kafka_field_systems="camera-app",
    )
    home = write_setup(tmp_path, "kafka", settings)
    server = read_properties(home / "server.properties")
    assert server["listeners"] == "SASL_SSL://0.0.0.0:9093,CONTROLLER://0.0.0.0:9094"
    assert server["advertised.listeners"] == "SASL_SSL://kafka:9093"
    assert server["controller.quorum.voters"] == "1@kafka:9094"
    assert server["authorizer.class.name"].endswith("StandardAuthorizer")
    assert server["allow.everyone.if.no.acl.found"] == "false"
    assert server["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert server["ssl.truststore.location"] == str(home / "tls" / "ca.pem")
    principals = {p.stem for p in (home / "clients").glob("*.properties")}
    assert {"admin", "wijkwacht-api", "wijkwacht-worker", "wijkwacht-live"} <= principals
    assert {"handhaving-app", "camera-app", "wijkwacht-materialiser", "broker"} <= principals
    api = Settings(_env_file=None, **settings_fields(home / "clients" / "wijkwacht-api.properties"))  # type: ignore[call-arg]
    assert api.bootstrap == "kafka:9093" and api.kafka_security_protocol == "SASL_SSL"
    assert api.kafka_check_hostname  # the certificate names `kafka`
    start = shlex.split((home / "start.sh").read_text().splitlines()[3])
    assert start[:2] == ["/opt/kafka/bin/kafka-storage.sh", "format"]
    scram = [start[i + 1] for i, arg in enumerate(start) if arg == "--add-scram"]
    assert sorted(s.split("name=")[1].split(",")[0] for s in scram) == sorted(principals)
    again = write_setup(tmp_path, "kafka", settings)  # a second run keeps every secret
    assert (again / "start.sh").read_text() == (home / "start.sh").read_text()


def test_the_cluster_profile_sets_up_three_brokers_of_one_quorum(tmp_path: Path) -> None:
    """What `kafka-setup` writes with the profile's KAFKA_HOSTS, checked against the services
    that run it: three nodes, one quorum, replication 3, clients that know all three."""
    services = load()["services"]
    command = services["kafka-setup"]["command"]
    assert command[-2:] == ["--host", "${KAFKA_HOSTS:-kafka}"]
    hosts = "kafka,kafka-2,kafka-3"
    home = write_setup(tmp_path, hosts, Settings(_env_file=None))  # type: ignore[call-arg]
    for node, host in enumerate(hosts.split(","), start=1):
        suffix = "" if node == 1 else f"-{host}"
        script = f"/setup/kafka/start{suffix}.sh"
        runs = services[host]["command"]
        assert runs == ["bash", script], host
        server = read_properties(home / f"server{suffix}.properties")
        assert server["node.id"] == str(node)
        assert server["controller.quorum.voters"] == "1@kafka:9094,2@kafka-2:9094,3@kafka-3:9094"
        assert server["advertised.listeners"] == f"SASL_SSL://{host}:9093"
        assert server["offsets.topic.replication.factor"] == "3"
        assert server["min.insync.replicas"] == "2"
        assert str(home / f"server{suffix}.properties") in (home / f"start{suffix}.sh").read_text()
    api = read_properties(home / "clients" / "wijkwacht-api.properties")
    assert api["bootstrap.servers"] == "kafka:9093,kafka-2:9093,kafka-3:9093"
    assert "${WIJKWACHT_TOPIC_REPLICATION_FACTOR:-1}" in (ROOT / "docker-compose.yml").read_text()
