"""Tables of billing (none yet)."""
