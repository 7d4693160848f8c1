"""The worker process: the faust app's assembly, the state table, batch processing, the
materialiser that copies the changelog into the store, and replay.

Faust's private attributes are touched only in `service.stream.faust_adapter`. This package
may import `service.kafka`, `service.domain`, `service.settings`, `events` and `storage`.
"""
