"""Stand-in servers that speak real platform protocols, for tests."""
