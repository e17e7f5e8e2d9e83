"""`qa bench`: speed and cost figures, one module per benchmark — answers (ingest, retrieval and
answers beside the LlamaIndex peer, in peer.py), scale (`--scale`) and serve (`--serve`)."""
