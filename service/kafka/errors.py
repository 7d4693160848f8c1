"""The exceptions of the Kafka adapters; the layers above decide what they mean to a user."""

from __future__ import annotations


class KafkaAdapterError(Exception):
    """Base of every exception raised by `service.kafka`."""


class KafkaUnavailable(KafkaAdapterError):
    """Kafka did not answer or did not acknowledge a write; nothing may be assumed written."""


class TopicError(KafkaAdapterError):
    """A topic could not be created; the message names it and the broker's reason."""


class KafkaSignInError(KafkaAdapterError):
    """How a principal signs in to Kafka cannot be found; the message names the setting."""


class KafkaAclError(KafkaAdapterError):
    """ACLs or credentials could not be read or changed; the message says what failed and
    the broker's or the tool's reason."""
