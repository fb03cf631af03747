"""The cohort report in the page, and as a PDF."""
