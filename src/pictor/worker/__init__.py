"""Distributed mode's worker side: the Celery app and ``pictor worker``."""
