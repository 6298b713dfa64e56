"""The HTTP API. Nothing imports this package."""
