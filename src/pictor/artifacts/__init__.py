"""Artifacts: every stored file (uploads and outputs), owned and described."""
