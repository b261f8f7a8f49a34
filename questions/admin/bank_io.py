"""Admin: bank_io."""
