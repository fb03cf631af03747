"""The Today page: what needs attention now."""
