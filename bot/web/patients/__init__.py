"""Patients: the searchable list, a patient's page, invitations and the printable handout."""
