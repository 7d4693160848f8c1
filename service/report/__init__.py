"""The annual report (`wijkwacht report`): the figures built from the store's yearly totals,
rendered as a table, a JSON document, CSV rows or a chart, and the number formats they share.

It may import `service.read`, `service.domain`, `events` and `storage`.
"""
