"""Persistence: SQLModel tables, the database engine, and the store functions the pipeline uses."""
