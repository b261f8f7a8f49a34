"""Admin: statistics."""
