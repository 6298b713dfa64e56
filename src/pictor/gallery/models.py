"""Tables of gallery (none yet)."""
