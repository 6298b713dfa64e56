"""Watermark templates: built-in and user-registered marks that reverse alpha can remove."""
