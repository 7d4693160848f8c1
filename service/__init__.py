"""Wijkwacht's service layer: settings, the Kafka-facing worker, the HTTP API and the CLI."""
