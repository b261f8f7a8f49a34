"""Admin: uploads."""
