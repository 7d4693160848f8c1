import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from service.cli import app
from service.settings import Settings, parse_api_keys


def make(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


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
    result = CliRunner().invoke(app, ["migrate"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"wijkwacht: {variable}:"), result.output
