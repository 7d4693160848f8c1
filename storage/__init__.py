"""Wijkwacht's store: materialised yearly totals behind a small repository interface."""
