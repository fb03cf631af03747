"""Exports: every format with its filters, made in the background, downloads audited."""
