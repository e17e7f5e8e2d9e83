"""Checking: is each sentence of a draft stated by the quote it cites (verify, claims, roles, synonyms)."""
