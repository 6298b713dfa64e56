"""The gallery: every output of a user, with thumbnails, trash and restore."""
