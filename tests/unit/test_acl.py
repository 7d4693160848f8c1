"""The ACL listing and the client file format, without a broker."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.kafka.acl import bindings
from service.kafka.clientfile import client_properties, read_properties, settings_fields
from service.settings import Settings


def by_principal(namespace: str, systems: list[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for b in bindings(namespace, systems):
        found.setdefault(b.principal, set()).add(
            f"{b.operation} {b.resource_type} {b.name} {b.pattern}"
        )
    return found


def test_each_principal_gets_only_its_own_job() -> None:
    found = by_principal("ns", ["camera-app", "handhaving-app"])
    assert found["wijkwacht-api"] == {
        "Write topic ns.events.v1. prefixed",
        "Write transactional-id ns.api. prefixed",
        "Describe transactional-id ns.api. prefixed",
    }
    assert found["wijkwacht-worker"] == {
        "Read topic ns.events.v1. prefixed",
        "Read group ns.worker literal",
        "Read topic ns.state.v1 literal",
        "Write topic ns.state.v1 literal",
        "Write topic ns.events.dlq.v1 literal",
    }
    assert found["wijkwacht-materialiser"] == {
        "Read topic ns.state.v1 literal",
        "Read group ns.materialiser.v1 literal",
    }
    assert "Write topic ns.state.v1 literal" not in found["wijkwacht-live"]
    for system in ("camera-app", "handhaving-app"):  # its own input topic, nothing else
        assert found[system] == {f"Write topic ns.events.v1.{system} literal"}
    assert "admin" not in found and "broker" not in found  # super users
    everything = [b for b in bindings("ns", ["camera-app"])]
    assert not [b for b in everything if b.operation in ("Create", "Delete", "Alter", "All")]


def test_the_plan_is_sorted_and_stable() -> None:
    lines = [b.line() for b in bindings("wijkwacht", ["b-app", "a-app"])]
    principals = [line.split()[0] for line in lines]
    assert principals == sorted(principals)  # then by resource, then by operation
    assert lines == [b.line() for b in bindings("wijkwacht", ["a-app", "b-app"])]
    assert lines[0] == "User:a-app ALLOW Write on topic wijkwacht.events.v1.a-app (literal)"


def test_a_client_file_reads_back_into_settings(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("not read here\n")
    path = tmp_path / "camera-app.properties"
    path.write_text(client_properties("127.0.0.1:9093", "camera-app", "s3cret-_x", ca))
    props = read_properties(path)
    assert props["security.protocol"] == "SASL_SSL"
    assert props["sasl.mechanism"] == "SCRAM-SHA-512"
    assert props["sasl.jaas.config"] == (
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        'username="camera-app" password="s3cret-_x";'
    )
    assert props["ssl.truststore.type"] == "PEM"
    assert props["ssl.endpoint.identification.algorithm"] == "https"
    settings = Settings(_env_file=None, **settings_fields(path))  # type: ignore[call-arg]
    assert settings.bootstrap == "127.0.0.1:9093"
    assert settings.kafka_username == "camera-app"
    assert settings.kafka_password_secret() == "s3cret-_x"
    assert settings.kafka_ca_file == ca
    assert settings.kafka_check_hostname


def test_field_systems_come_from_both_settings_and_may_not_take_a_service_name() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        api_keys="handhaving-app:test-key-handhaving-0001",
        kafka_field_systems=" camera-app, ",
    )
    assert settings.field_systems == ["camera-app", "handhaving-app"]
    with pytest.raises(ValueError, match="WIJKWACHT_KAFKA_FIELD_SYSTEMS"):
        Settings(_env_file=None, kafka_field_systems="admin")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="lowercase"):
        Settings(_env_file=None, kafka_field_systems="Camera")  # type: ignore[call-arg]


def test_the_operations_guide_lists_the_acls_as_kafka_acls_commands() -> None:
    """docs/operations.md gives an operator the same ACLs as `kafka-acls.sh` lines: they must
    be exactly the plan's, for the default namespace and handhaving-app."""
    from service.kafka.acl import kafka_acls_command

    guide = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    documented = [line for line in guide.splitlines() if line.startswith("kafka-acls.sh ")]
    planned = [kafka_acls_command(b) for b in bindings("wijkwacht", ["handhaving-app"])]
    assert documented == planned


def test_weaker_topic_settings_name_the_setting() -> None:
    from aiokafka.admin import NewTopic

    from service.kafka.topics import weaker

    day = 86_400_000
    state = NewTopic("ns.state.v1", 6, 3, topic_configs={"cleanup.policy": "compact"})
    assert "WIJKWACHT_TOPIC_REPLICATION_FACTOR asks 3" in (weaker(state, 1, None) or "")
    assert weaker(state, 3, {"cleanup.policy": "compact,delete"}) is None
    assert "compacted" in (weaker(state, 3, {"cleanup.policy": "delete"}) or "")
    forever = NewTopic("ns.events.v1.a", 6, 1, topic_configs={"retention.ms": "-1"})
    assert "WIJKWACHT_INPUT_RETENTION_DAYS" in (weaker(forever, 1, {"retention.ms": "1"}) or "")
    assert weaker(forever, 1, {"retention.ms": "-1"}) is None
    dlq = NewTopic("ns.events.dlq.v1", 1, 1, topic_configs={"retention.ms": str(30 * day)})
    assert weaker(dlq, 1, {"retention.ms": str(7 * day)}) is None  # shorter: fine (AVG)
    longer = weaker(dlq, 1, {"retention.ms": "-1"}) or ""
    assert "WIJKWACHT_DEAD_LETTER_RETENTION_DAYS" in longer
    assert weaker(state, 3, None) is None  # configurations unreadable: only replicas checked
    durable = NewTopic("ns.events.v1.a", 6, 3, topic_configs={"min.insync.replicas": "2"})
    lax = weaker(durable, 3, {"min.insync.replicas": "1"}) or ""
    assert "min.insync.replicas=1, Wijkwacht asks 2 with replication factor 3" in lax
    assert weaker(durable, 3, {"min.insync.replicas": "2"}) is None


def test_a_local_cluster_is_found_and_replicated_with_nothing_to_set(tmp_path: Path) -> None:
    from service.settings import Settings

    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert (settings.bootstrap, settings.replication_factor) == ("127.0.0.1:9092", 1)
    (tmp_path / "kafka").mkdir()
    three = "127.0.0.1:9092,127.0.0.1:9094,127.0.0.1:9096"
    (tmp_path / "kafka" / "cluster").write_text(f'{{"bootstrap": "{three}", "brokers": 3}}\n')
    assert (settings.bootstrap, settings.replication_factor) == (three, 3)
    elsewhere = settings.model_copy(update={"kafka_bootstrap": "kafka:9093"})
    assert (elsewhere.bootstrap, elsewhere.replication_factor) == ("kafka:9093", 1)
