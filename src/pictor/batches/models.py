"""Tables of batches (none yet)."""
