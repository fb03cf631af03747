"""Paper forms: one typed in on the planned survey it answers, or a CSV uploaded."""
