"""Channel adapters, one module each, behind the interface in `base`."""
