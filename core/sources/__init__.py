"""Connection-mode chat sources (the seed's ChatSource): a process holds the chat server's connection."""
