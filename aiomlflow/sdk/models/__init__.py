"""Logged models and the active model (sdk side)."""
