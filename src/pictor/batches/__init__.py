"""Batches: many jobs submitted at once, at a discount, at lower priority."""
