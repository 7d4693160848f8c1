"""What development and tests use and production never runs: the local Kafka broker, the
field-system simulator and its senders, and `wijkwacht watch`.

It may import every package below the command line (see docs/architecture.md); nothing but
`service.cli` and the tests imports it.
"""
