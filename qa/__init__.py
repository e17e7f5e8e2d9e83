"""qa: answer questions about a folder of documents, with verified citations."""

__version__ = "0.1.0"
