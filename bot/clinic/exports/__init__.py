"""Exports staff read in their own tools: CSV (long and wide), Excel, JSON and FHIR R4.

Every format streams from the database in batches, so memory stays flat however many responses
there are, and identifies patients by study id unless staff ask for names.
"""
