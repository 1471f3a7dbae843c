"""Identifiers and personal data: USCC and resident-ID checks, normalisation, masking."""
