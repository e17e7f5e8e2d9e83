"""Interfaces, thin over one service layer: the CLI, the HTTP server, MCP, chat, and terminal rendering."""
