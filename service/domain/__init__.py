"""The domain: the counting rules of docs/contract.md §4 and the one figures value.

Pure functions and values over plain data: no Kafka, no faust, no SQL, no HTTP, no clock.
Everything that counts (the worker, the live view, the store's readers, the report) builds on
this package. It may import `events` only.
"""
