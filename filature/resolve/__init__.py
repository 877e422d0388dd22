"""Resolution: which person (sender side) or receiving identity stands behind each transfer."""
