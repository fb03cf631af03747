"""The audit log, searchable."""
