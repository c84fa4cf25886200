"""Autologging: per-integration configuration, safe patching of training functions,
runs managed around them, and post-import hooks that apply patches lazily."""
