"""Alerts: the list, one alert's page with its history, and the staff steps on it."""
