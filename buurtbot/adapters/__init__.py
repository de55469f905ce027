"""Adapters: the platform, storage and delivery implementations of the core's ports."""
