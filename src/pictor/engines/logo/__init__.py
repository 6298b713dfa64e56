"""The procedural logo designer: no model weights, real fonts turned into outlines."""
