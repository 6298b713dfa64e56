"""Intent engines of the studio: ``rules`` (offline) and ``llm`` (a chat model)."""
