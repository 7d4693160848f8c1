"""Wijkwacht's event contracts: CloudEvents models, registries, periods and the Kafka binding.

This package knows nothing of the service or the store; both depend on it.
"""
