"""Localization engines: turn one ad into its version for one language and market."""
