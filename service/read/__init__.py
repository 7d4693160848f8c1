"""Read models: the live view (running aggregates read from the state changelog, with
subscribers for Server-Sent Events) and the yearly figures read from the store.

Used by the HTTP API, the report and the command line. This package may import
`service.kafka`, `service.domain`, `service.settings`, `events` and `storage`.
"""
