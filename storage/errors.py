"""The exceptions of the storage package."""


class StorageError(Exception):
    """Base of every exception raised by `storage`."""


class MigrationError(StorageError):
    """The schema could not be brought up to date."""
