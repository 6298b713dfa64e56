"""Foreground segmentation for background removal."""
