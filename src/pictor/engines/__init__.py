"""Engines: what pipelines call. They know nothing of jobs, HTTP or the database."""
