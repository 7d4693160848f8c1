"""The one reader of WIJKWACHT_* environment variables (and of a `.env` file)."""

from __future__ import annotations

import ipaddress
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from events.limits import EARLIEST_TIME, LATEST_TIME, TimeWindow, utc_text
from service.settings.checks import check_kafka_security, check_oidc, check_one_key_one_role
from service.settings.credentials import (
    NAME,
    Authority,
    key_hash,
    key_names,
    load_key_file,
    names_of,
    parse_api_keys,
    parse_rate_limits,
)

__all__ = ["Settings", "parse_api_keys", "parse_rate_limits"]

# The project checkout holds the Maven-fetched broker jars under .cache/kafka/jars/.
PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent

_NAMESPACE = re.compile(r"^[a-z][a-z0-9-]{0,40}$")

# Kafka principals (SCRAM user names) of the secured broker and of Wijkwacht's own processes;
# every field system is a principal under its own name, so none may take one of these.
BROKER_PRINCIPAL = "broker"
ADMIN_PRINCIPAL = "admin"
API_PRINCIPAL = "wijkwacht-api"
WORKER_PRINCIPAL = "wijkwacht-worker"
MATERIALISER_PRINCIPAL = "wijkwacht-materialiser"
LIVE_PRINCIPAL = "wijkwacht-live"
SERVICE_PRINCIPALS = (
    BROKER_PRINCIPAL,
    ADMIN_PRINCIPAL,
    API_PRINCIPAL,
    WORKER_PRINCIPAL,
    MATERIALISER_PRINCIPAL,
    LIVE_PRINCIPAL,
)


class Settings(BaseSettings):
    """Every knob of Wijkwacht; see the table in README.md. Values derived from the fields are
    plain properties, never cached: `model_copy(update=…)` copies a cache as it is."""

    model_config = SettingsConfigDict(
        env_prefix="WIJKWACHT_",
        env_file=".env",
        extra="ignore",
        frozen=True,
    )

    env: Literal["development", "production"] = "production"
    kafka_bootstrap: str | None = None
    # How clients sign in to Kafka (docs/contract.md §2); every client of every process uses
    # these: the API's producer, the worker, the live view, admin, replay, the simulator.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    kafka_username: str | None = None
    kafka_password: SecretStr | None = None
    kafka_password_file: Path | None = None  # a file holding the password (a Docker secret)
    kafka_ca_file: Path | None = None  # PEM; else the system's trusted CAs
    kafka_cert_file: Path | None = None  # PEM client certificate, for mutual TLS
    kafka_key_file: Path | None = None  # its PEM private key
    kafka_check_hostname: bool = True  # the broker's certificate must name the host dialled
    # A directory of Kafka client files, `<principal>.properties`: each part of a process then
    # signs in as its own principal (the API's writer as wijkwacht-api, its live view as
    # wijkwacht-live, ...). The secured local broker's `<data dir>/kafka/clients` is used
    # without being set.
    kafka_clients_dir: Path | None = None
    local_broker_port: int = Field(default=9092, ge=1024, le=65534)
    kafka_jars: Path | None = None
    registry_dir: Path | None = None
    data_dir: Path = Path("var")
    database_url: str | None = None
    api_host: str = "127.0.0.1"
    # Behind a TLS-terminating proxy: the proxy's addresses (comma-separated IPs or networks)
    # whose X-Forwarded-For/-Proto the API believes; from anyone else they are ignored.
    forwarded_allow_ips: str | None = None
    api_port: int = Field(default=8000, ge=1, le=65535)
    api_keys: SecretStr | None = None
    # Production's field systems (TOML): per system the hashes of its keys (several while
    # rotating), the kinds and cameras it may report. Read again when it changes.
    api_keys_file: Path | None = None
    # Field systems that produce straight to Kafka and have no API key: `name,name`. With the
    # names in WIJKWACHT_API_KEYS they are the field-system principals of the ACLs.
    kafka_field_systems: str = ""
    # Operators allowed to close a year over the API: `name:key,name:key` (none by default).
    admin_keys: SecretStr | None = None
    # Machines and people that may read (dashboard, live, totals, registries, metrics):
    # `name:key,name:key`. Operators (WIJKWACHT_ADMIN_KEYS) may read too.
    reader_keys: SecretStr | None = None
    # Signs the dashboard's session cookie; unset: a random secret per process (sessions end
    # with it, and several API processes behind one address need one secret).
    session_secret: SecretStr | None = None
    # Seals what the API writes, so that workers read it without validating it again
    # (events/seal.py); the API and every worker need the same. Unset: <data dir>/seal.key.
    seal_key: SecretStr | None = Field(default=None, min_length=16)
    session_hours: int = Field(default=8, ge=1, le=24 * 7)
    # People sign in with the municipality's OpenID Connect provider (docs/roles/README.md):
    # its issuer URL exactly as its tokens name it, this API's client there, the audience of
    # the access tokens machines bring, and the claim holding a person's roles (a dotted path,
    # e.g. realm_access.roles; a list or a space-separated string). ROLE_NAMES maps the
    # provider's role names to Wijkwacht's: `reader:lezer,operator:beheerder,admin:...`.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None  # unset: a public client (PKCE only)
    oidc_audience: str | None = None  # unset: the client id
    oidc_roles_claim: str = "roles"
    oidc_role_names: str | None = None
    oidc_scopes: str = "openid profile"
    # The key(s) `wijkwacht simulate --target http` sends with: `key` or `name:key,name:key`.
    simulate_api_key: SecretStr | None = None
    topic_partitions: int = Field(default=6, ge=1, le=1000)
    topic_replication_factor: int = Field(default=1, ge=1, le=10)
    # Prefix of every topic, consumer group and table: `wijkwacht` is the contract; tests give
    # each test its own so that they never see each other's data.
    namespace: str = "wijkwacht"
    worker_store: Literal["memory", "rocksdb"] = "memory"
    # Each worker serves Prometheus metrics on this port plus its slot number (0: none).
    worker_metrics_port: int = Field(default=9102, ge=0, le=65000)
    # Each materialiser serves its metrics on the first free port from this one (0: none).
    materialiser_metrics_port: int = Field(default=9122, ge=0, le=65000)
    # Requests per second per field system on average, and at once (a batch is one request);
    # `name:rate:burst,...` overrides them per system. Beyond: 429 with Retry-After.
    rate_limit: float = Field(default=50.0, gt=0)
    rate_burst: int = Field(default=100, ge=1)
    rate_limits: str | None = None
    # Open live streams (dashboards, `wijkwacht watch`) the API serves at once; beyond, 503.
    sse_max_subscribers: int = Field(default=200, ge=1)
    sse_max_per_credential: int = Field(default=10, ge=1)  # of them, per reader or session
    # Open data (GET /v1/open/totals): cells counting fewer incidents are shown as `<N`.
    open_data_threshold: int = Field(default=5, ge=1, le=1000)
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)  # a full batch is ~1.2 MB
    # Each POST /v1/events body in one Kafka transaction, so that no reader of committed
    # records ever sees part of it. Off only for a Kafka-compatible service without
    # transactions: then a 503 may leave part of a batch written (a retry is still safe).
    api_transactions: bool = True
    # How long Kafka keeps records, for topics Wijkwacht creates (AVG: keep no longer than
    # needed). The input is what a replay rebuilds every figure from: kept forever unless set.
    input_retention_days: int | None = Field(default=None, ge=1)
    dead_letter_retention_days: int = Field(default=30, ge=1)
    # The API refuses event times before this moment and later than this many seconds after
    # its clock (docs/contract.md §2). The margin's bound is the whole static window: at most
    # it turns the clock check off, and `now + margin` stays a representable date.
    earliest_event_time: AwareDatetime = EARLIEST_TIME
    future_margin_seconds: int = Field(
        default=86400, ge=0, le=int((LATEST_TIME - EARLIEST_TIME).total_seconds())
    )

    @field_validator("kafka_bootstrap")
    @classmethod
    def _bootstrap_form(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        for server in value.split(","):
            host, sep, port = server.strip().rpartition(":")
            if not sep or not host or not port.isdigit():
                raise ValueError(f"{server.strip()!r} is not host:port")
        return value.strip()

    @field_validator("database_url")
    @classmethod
    def _database_url_form(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        if not value.startswith(("sqlite:///", "postgresql://", "postgresql+psycopg://")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value

    @field_validator("namespace")
    @classmethod
    def _namespace_form(cls, value: str) -> str:
        if not _NAMESPACE.match(value):
            raise ValueError("must be lowercase letters, digits and '-', starting with a letter")
        return value

    @field_validator("earliest_event_time")
    @classmethod
    def _earliest_in_static_window(cls, value: datetime) -> datetime:
        # The worker keeps the static window; an earlier bound would let the API accept
        # events that the worker then refuses.
        if not EARLIEST_TIME <= value <= LATEST_TIME:
            raise ValueError(
                f"must lie between {utc_text(EARLIEST_TIME)} and {utc_text(LATEST_TIME)}"
            )
        return value

    @field_validator("rate_limits")
    @classmethod
    def _rate_limits_form(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        parse_rate_limits(value)
        return value

    @property
    def rate_limits_per_system(self) -> dict[str, tuple[float, float]]:
        """Field system → (requests a second, burst) where WIJKWACHT_RATE_LIMITS sets them."""
        return parse_rate_limits(self.rate_limits) if self.rate_limits else {}

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxies_form(cls, value: str | None) -> str | None:
        if value is None:
            return None
        items = [item.strip() for item in value.split(",") if item.strip()]
        if not items:
            raise ValueError("name the proxy's addresses, or leave it unset")
        for item in items:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP address or network: name the proxy's addresses "
                    "(trusting every sender would let anyone set X-Forwarded-For)"
                ) from None
        return ",".join(items)

    @field_validator("api_keys", "admin_keys", "reader_keys")
    @classmethod
    def _api_keys_form(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or value.get_secret_value().strip() == "":
            return None
        parse_api_keys(value.get_secret_value())
        return value

    @field_validator("kafka_field_systems")
    @classmethod
    def _field_systems_form(cls, value: str) -> str:
        for name in names_of(value):
            if not NAME.match(name):
                raise ValueError(
                    f"field-system name {name!r} must be lowercase letters, digits, '-'"
                )
        return ",".join(names_of(value))

    @model_validator(mode="after")
    def _key_file_readable(self) -> Settings:
        try:
            self.key_file_authorities()
        except ValueError as exc:
            raise ValueError(f"WIJKWACHT_API_KEYS_FILE: {exc}") from None
        return self

    @model_validator(mode="after")
    def _field_systems_not_service_principals(self) -> Settings:
        for variable, names in (
            ("WIJKWACHT_API_KEYS", self.field_system_keys.values()),
            ("WIJKWACHT_API_KEYS_FILE", self.key_file_authorities()),
            ("WIJKWACHT_KAFKA_FIELD_SYSTEMS", names_of(self.kafka_field_systems)),
        ):
            taken = sorted(set(names) & set(SERVICE_PRINCIPALS))
            if taken:
                raise ValueError(
                    f"{variable}: {taken[0]!r} is one of Wijkwacht's own Kafka principals "
                    f"({', '.join(SERVICE_PRINCIPALS)}); give the field system another name"
                )
        return self

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        """One line naming the setting for a combination a client could not use."""
        check_kafka_security(self)
        check_oidc(self)
        check_one_key_one_role(self)
        return self

    def kafka_password_secret(self) -> str | None:
        """The Kafka password, from WIJKWACHT_KAFKA_PASSWORD or the file it names."""
        if self.kafka_password is not None:
            return self.kafka_password.get_secret_value()
        if self.kafka_password_file is None:
            return None
        try:
            return self.kafka_password_file.read_text().strip() or None
        except OSError:
            return None

    @model_validator(mode="after")
    def _ports_free_of_each_other(self) -> Settings:
        if self.kafka_bootstrap is None and self.api_port in (
            self.local_broker_port,
            self.local_controller_port,
        ):
            raise ValueError("WIJKWACHT_API_PORT collides with the local broker's ports")
        return self

    @property
    def local_controller_port(self) -> int:
        """The local broker's KRaft controller listens on the port after the broker's."""
        return self.local_broker_port + 1

    @property
    def bootstrap(self) -> str:
        """Where clients connect: the configured cluster, else the local broker (or cluster)."""
        return self.kafka_bootstrap or self.local_cluster()[0]

    def local_cluster(self) -> tuple[str, int]:
        """The local broker's bootstrap servers and number of brokers, as `wijkwacht broker`
        last started it (`<data dir>/kafka/cluster`); a single broker if it never wrote that."""
        try:
            found = json.loads((self.data_dir / "kafka" / "cluster").read_text())
            return str(found["bootstrap"]), int(found["brokers"])
        except (OSError, ValueError, KeyError, TypeError):
            return f"127.0.0.1:{self.local_broker_port}", 1

    @property
    def replication_factor(self) -> int:
        """Copies of each topic Wijkwacht creates: WIJKWACHT_TOPIC_REPLICATION_FACTOR, and on a
        local cluster of three at least three."""
        if self.uses_local_broker:
            return max(self.topic_replication_factor, self.local_cluster()[1])
        return self.topic_replication_factor

    @property
    def api_url(self) -> str:
        """Where a client on this host reaches the API (tools such as simulate and watch)."""
        host = self.api_host
        if host in ("", "0.0.0.0", "::"):  # noqa: S104  (listening everywhere: use loopback)
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.api_port}"

    def event_window(self, now: datetime | None = None) -> TimeWindow:
        """The times the API accepts now: from the earliest event time to the margin after
        the clock (never wider than the worker's static window)."""
        margin = timedelta(seconds=self.future_margin_seconds)
        return TimeWindow.clock_relative(self.earliest_event_time, margin, now)

    @property
    def uses_local_broker(self) -> bool:
        return self.kafka_bootstrap is None

    @property
    def store_url(self) -> str:
        """The store's URL; a SQLite file in the data directory unless one is configured."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'wijkwacht.sqlite3').resolve()}"

    @property
    def kafka_jars_dir(self) -> Path:
        return self.kafka_jars or PROJECT_ROOT / ".cache" / "kafka" / "jars"

    @property
    def field_system_keys(self) -> dict[str, str]:
        """API key → field-system name."""
        return key_names(self.api_keys)

    @property
    def field_systems(self) -> list[str]:
        """Every field system, sorted: those with an API key (given plainly or in the key
        file) and those only on Kafka."""
        with_keys = set(self.field_system_keys.values()) | set(self.key_file_authorities())
        return sorted(with_keys | set(names_of(self.kafka_field_systems)))

    def key_file_authorities(self) -> dict[str, Authority]:
        """The field systems of WIJKWACHT_API_KEYS_FILE as it reads now (none without one)."""
        return {} if self.api_keys_file is None else load_key_file(self.api_keys_file)

    def authorities(self) -> dict[str, Authority]:
        """Every field system that may sign in over HTTP: the key file's, and those of
        WIJKWACHT_API_KEYS (which may report anything), their keys as hashes either way."""
        found = dict(self.key_file_authorities())
        plain: dict[str, list[str]] = {}
        for key, name in self.field_system_keys.items():
            plain.setdefault(name, []).append(key_hash(key))
        for name, hashes in plain.items():
            known = found.get(name)
            if known is None:
                found[name] = Authority(name, tuple(hashes))
            else:
                found[name] = Authority(
                    name, known.key_hashes + tuple(hashes), known.kinds, known.cameras
                )
        return found

    @property
    def reader_key_names(self) -> dict[str, str]:
        """Reader key → reader name."""
        return key_names(self.reader_keys)

    @property
    def operator_keys(self) -> dict[str, str]:
        """Admin key → operator name."""
        return key_names(self.admin_keys)
