"""pictor: a self-hostable backend for AI image work."""

__version__ = "0.1.0"
