from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from service.cli import app
from service.settings import Settings, parse_api_keys


def make(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def one_line_naming(variable: str) -> str:
    """Run a command with the environment as set; it must stop at start (exit 2) with one
    line naming `variable`, which is returned."""
    result = CliRunner().invoke(app, ["migrate"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"wijkwacht: {variable}:"), result.output
    return lines[0]


def test_defaults_are_the_embedded_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KAFKA_BOOTSTRAP", "DATABASE_URL", "API_PORT", "DATA_DIR", "TOPIC_PARTITIONS"):
        monkeypatch.delenv(f"WIJKWACHT_{name}", raising=False)
    settings = make()
    assert settings.uses_local_broker and settings.bootstrap == "127.0.0.1:9092"
    assert settings.store_url.startswith("sqlite:///") and settings.store_url.endswith(
        "var/wijkwacht.sqlite3"
    )
    assert (settings.api_host, settings.api_port, settings.topic_partitions) == (
        "127.0.0.1",
        8000,
        6,
    )


def test_api_keys_map_key_to_field_system() -> None:
    settings = make(api_keys="handhaving-app:0123456789abcdef, camera-app:fedcba9876543210")
    assert settings.field_system_keys == {
        "0123456789abcdef": "handhaving-app",
        "fedcba9876543210": "camera-app",
    }


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("handhaving-app", "not name:key"),
        ("Handhaving:0123456789abcdef", "lowercase"),
        ("a:short", "shorter than 16"),
        ("a:0123456789abcdef,b:0123456789abcdef", "used twice"),
    ],
)
def test_bad_api_keys(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_api_keys(text)


def test_bootstrap_and_database_url_forms() -> None:
    assert make(kafka_bootstrap="k1:9092,k2:9092").bootstrap == "k1:9092,k2:9092"
    with pytest.raises(ValidationError):
        make(kafka_bootstrap="kafka")
    with pytest.raises(ValidationError):
        make(database_url="mysql://x/y")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WIJKWACHT_API_PORT", "eighty"),
        ("WIJKWACHT_TOPIC_PARTITIONS", "0"),
        ("WIJKWACHT_KAFKA_BOOTSTRAP", "no-port"),
        ("WIJKWACHT_API_KEYS", "x:short"),
    ],
)
def test_invalid_setting_stops_with_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    one_line_naming(variable)


def test_the_api_window_follows_the_clock_within_the_static_window() -> None:
    from datetime import UTC, datetime

    from events.limits import EARLIEST_TIME, LATEST_TIME

    now = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
    window = make().event_window(now)
    assert window.earliest == EARLIEST_TIME
    assert window.latest == datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
    later = make(earliest_event_time="2015-01-01T00:00:00+01:00", future_margin_seconds=0)
    assert later.event_window(now).earliest == datetime(2014, 12, 31, 23, 0, tzinfo=UTC)
    assert later.event_window(now).latest == now
    widest = make(future_margin_seconds=(LATEST_TIME - EARLIEST_TIME).total_seconds())
    assert widest.event_window(now).latest == LATEST_TIME


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("WIJKWACHT_EARLIEST_EVENT_TIME", "1999-12-31T23:59:59Z", "must lie between"),
        ("WIJKWACHT_EARLIEST_EVENT_TIME", "2101-01-01T00:00:00Z", "must lie between"),
        ("WIJKWACHT_EARLIEST_EVENT_TIME", "2015-01-01T00:00:00", "timezone"),
        ("WIJKWACHT_FUTURE_MARGIN_SECONDS", "-1", "greater than or equal to 0"),
        ("WIJKWACHT_FUTURE_MARGIN_SECONDS", "99999999999", "less than or equal to"),
    ],
)
def test_a_time_window_setting_out_of_range_stops_the_process(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, reason: str
) -> None:
    monkeypatch.setenv(variable, value)
    line = one_line_naming(variable)
    assert reason in line


@pytest.mark.parametrize(
    ("environment", "variable", "reason"),
    [
        (
            {"WIJKWACHT_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "WIJKWACHT_KAFKA_USERNAME": "api"},
            "WIJKWACHT_KAFKA_USERNAME",
            "needs a username and a password",
        ),
        (
            {"WIJKWACHT_KAFKA_USERNAME": "api", "WIJKWACHT_KAFKA_PASSWORD": "secret"},
            "WIJKWACHT_KAFKA_SECURITY_PROTOCOL",
            "does not sign in",
        ),
        (
            {"WIJKWACHT_KAFKA_SECURITY_PROTOCOL": "SSL", "WIJKWACHT_KAFKA_CA_FILE": "/nonexistent"},
            "WIJKWACHT_KAFKA_CA_FILE",
            "is not a readable file",
        ),
        (
            {"WIJKWACHT_KAFKA_CA_FILE": __file__},
            "WIJKWACHT_KAFKA_CA_FILE",
            "uses no TLS",
        ),
        (
            {"WIJKWACHT_KAFKA_SECURITY_PROTOCOL": "SSL", "WIJKWACHT_KAFKA_CERT_FILE": __file__},
            "WIJKWACHT_KAFKA_KEY_FILE",
            "needs both",
        ),
        (
            {
                "WIJKWACHT_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                "WIJKWACHT_KAFKA_USERNAME": "api",
                "WIJKWACHT_KAFKA_PASSWORD": "secret",
                "WIJKWACHT_KAFKA_PASSWORD_FILE": __file__,
            },
            "WIJKWACHT_KAFKA_PASSWORD_FILE",
            "not both",
        ),
        (
            {"WIJKWACHT_KAFKA_SASL_MECHANISM": "GSSAPI"},
            "WIJKWACHT_KAFKA_SASL_MECHANISM",
            "SCRAM-SHA-512",
        ),
    ],
)
def test_an_unusable_kafka_sign_in_stops_with_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], variable: str, reason: str
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    line = one_line_naming(variable)
    assert reason in line


def test_every_client_gets_the_same_sign_in(tmp_path: Path) -> None:
    from service.kafka.config import KafkaConfig

    secret = tmp_path / "password"
    secret.write_text("s3cret-from-a-file\n")
    config = KafkaConfig.from_settings(
        make(
            kafka_bootstrap="kafka.example:9093",
            kafka_security_protocol="SASL_SSL",
            kafka_username="wijkwacht-api",
            kafka_password_file=secret,
        )
    )
    options = config.client_options(acks="all")
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == (
        "wijkwacht-api",
        "s3cret-from-a-file",
    )
    assert options["ssl_context"].check_hostname and options["acks"] == "all"
    credentials = config.faust_credentials()
    assert (credentials.username, credentials.mechanism.value) == ("wijkwacht-api", "SCRAM-SHA-512")
    plain = KafkaConfig.from_settings(make()).client_options()
    assert plain == {"bootstrap_servers": "127.0.0.1:9092", "security_protocol": "PLAINTEXT"}


def test_a_store_url_is_never_printed_with_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIJKWACHT_DATABASE_URL", "postgresql://wijkwacht:s3cret@127.0.0.1:9/none")
    result = CliRunner().invoke(app, ["reconcile", "--year", "2022"])
    assert result.exit_code == 1 and "cannot be reached" in result.output
    assert "s3cret" not in result.output


@pytest.mark.parametrize("value", ["handhaving-app:50", "x:0:10", "y:5:0.5", "Bad:1:1", "z:a:b"])
def test_a_bad_rate_limit_stops_the_process(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("WIJKWACHT_RATE_LIMITS", value)
    result = CliRunner().invoke(app, ["migrate"])
    assert result.exit_code == 2
    assert result.output.startswith("wijkwacht: WIJKWACHT_RATE_LIMITS:"), result.output


def test_forwarded_headers_are_believed_only_from_named_proxies() -> None:
    assert make().forwarded_allow_ips is None  # by default believed from nobody
    assert make(forwarded_allow_ips="10.0.0.5, 10.1.0.0/16").forwarded_allow_ips == (
        "10.0.0.5,10.1.0.0/16"
    )
    for value in ("*", "proxy.example", ""):
        with pytest.raises(ValueError, match="forwarded_allow_ips"):
            make(forwarded_allow_ips=value)


def test_the_key_file_holds_hashes_and_names_field_systems(tmp_path: Path) -> None:
    from service.settings.credentials import key_hash

    path = tmp_path / "keys.toml"
    path.write_text(
        f'[camera-app]\nkeys = ["{key_hash("a-camera-key-0000001")}"]\n'
        'kinds = ["cameraincident"]\ncameras = ["stadshart"]\n'
    )
    settings = make(api_keys="handhaving-app:0123456789abcdef", api_keys_file=path)
    assert settings.field_systems == ["camera-app", "handhaving-app"]
    authorities = settings.authorities()
    assert authorities["camera-app"].cameras == {"stadshart"}
    assert authorities["handhaving-app"].kinds is None  # plain keys may report anything
    broken = tmp_path / "broken.toml"
    for text, reason in (
        ("[camera-app]\nkeys = ['0123']\n", "sha256"),
        ("[Camera]\nkeys = []\n", "lowercase"),
        (f'[camera-app]\nkeys = ["{key_hash("k" * 16)}"]\nkinds = ["parkeren"]\n', "unknown"),
        ("not toml [", "not TOML"),
    ):
        broken.write_text(text)
        with pytest.raises(ValueError, match=f"WIJKWACHT_API_KEYS_FILE: .*{reason}"):
            make(api_keys_file=broken)
