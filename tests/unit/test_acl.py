"""The ACL listing, its AclCommand batches and the client file format, without a broker."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.kafka.acl import Binding, acl_command_batches, bindings
from service.kafka.aclcommand import parse_acl_list
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
        "Write topic ns.events.v1 literal",
        "Write transactional-id ns.api. prefixed",
        "Describe transactional-id ns.api. prefixed",
    }
    assert found["wijkwacht-worker"] == {
        "Read topic ns.events.v1 literal",
        "Read group ns.worker literal",
        "Read topic ns.worker-__assignor-__leader literal",
        "Read topic ns.state.v1 literal",
        "Write topic ns.state.v1 literal",
        "Write topic ns.events.dlq.v1 literal",
    }
    assert found["wijkwacht-materialiser"] == {
        "Read topic ns.state.v1 literal",
        "Read group ns.materialiser.v1 literal",
    }
    assert "Write topic ns.state.v1 literal" not in found["wijkwacht-live"]
    for system in ("camera-app", "handhaving-app"):
        assert found[system] == {"Write topic ns.events.v1 literal"}
    assert "admin" not in found and "broker" not in found  # super users
    everything = [b for b in bindings("ns", ["camera-app"])]
    assert not [b for b in everything if b.operation in ("Create", "Delete", "Alter", "All")]


def test_the_plan_is_sorted_and_stable() -> None:
    lines = [b.line() for b in bindings("wijkwacht", ["b-app", "a-app"])]
    principals = [line.split()[0] for line in lines]
    assert principals == sorted(principals)  # then by resource, then by operation
    assert lines == [b.line() for b in bindings("wijkwacht", ["a-app", "b-app"])]
    assert lines[0] == "User:a-app ALLOW Write on topic wijkwacht.events.v1 (literal)"


def test_batches_create_exactly_the_bindings() -> None:
    wanted = set(bindings("ns", ["camera-app", "handhaving-app"]))
    made: set[Binding] = set()
    batches = acl_command_batches(sorted(wanted))
    for args in batches:
        users = [args[i + 1][5:] for i, a in enumerate(args) if a == "--allow-principal"]
        ops = [args[i + 1] for i, a in enumerate(args) if a == "--operation"]
        kinds = ("--topic", "--group", "--transactional-id")
        names = [(a[2:], args[i + 1]) for i, a in enumerate(args) if a in kinds]
        pattern = args[args.index("--resource-pattern-type") + 1]
        made |= {Binding(u, k, n, pattern, o) for u in users for o in ops for k, n in names}
    assert made == wanted
    assert len(batches) <= len(wanted) / 2  # each batch is a JVM start


def test_acl_command_listing_is_read_back() -> None:
    text = (
        "Current ACLs for resource `ResourcePattern(resourceType=TRANSACTIONAL_ID, "
        "name=ns.api., patternType=PREFIXED)`: \n"
        " \t(principal=User:wijkwacht-api, host=*, operation=WRITE, permissionType=ALLOW)\n"
        " \t(principal=User:x, host=10.0.0.1, operation=WRITE, permissionType=ALLOW)\n"
        "\nCurrent ACLs for resource `ResourcePattern(resourceType=TOPIC, "
        "name=ns.events.v1, patternType=LITERAL)`: \n"
        " \t(principal=User:cam, host=*, operation=WRITE, permissionType=ALLOW)\n"
        " \t(principal=User:cam, host=*, operation=READ, permissionType=DENY)\n"
    )
    assert parse_acl_list(text) == {
        Binding("wijkwacht-api", "transactional-id", "ns.api.", "prefixed", "Write"),
        Binding("cam", "topic", "ns.events.v1", "literal", "Write"),
    }


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
