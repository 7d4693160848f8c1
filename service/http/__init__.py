"""The HTTP API and the operations dashboard: the app factory, one router per resource,
intake of events (authentication, parsing, validation), response schemas, RFC 9457 problems,
the API's metrics and the dashboard's static files.

The only package that speaks in HTTP status codes. The factory takes its collaborators (event
writer, live view, repository), so tests can hand it fakes. It may import `service.read`,
`service.kafka`, `service.domain`, `service.settings`, `events` and `storage`.
"""
