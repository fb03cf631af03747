"""The staff "to call" list: surveys text and automated calls did not reach (read-only)."""
