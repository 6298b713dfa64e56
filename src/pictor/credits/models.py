"""Tables of credits (none yet)."""
