"""Pipelines: one module per job kind, each a params schema and ``run(ctx, params)``."""
