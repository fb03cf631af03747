"""The conversation simulator: be a patient in a sandbox clinic."""
