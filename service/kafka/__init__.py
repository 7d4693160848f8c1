"""Kafka adapters: topic names and creation, the state changelog's byte format, the event
writer, and helpers that wait for or keep going through a broker that comes and goes.

The changelog format is read and written only by `service.kafka.changelog`. This package may
import `service.domain`, `service.settings` and `events`; it knows nothing of faust, HTTP or
the store.
"""
