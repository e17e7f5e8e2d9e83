"""Indexing: documents → chunks → vectors → Chroma (load, split, embed, store, ingest, watch, lock)."""
