"""Tables of studio (none yet)."""
