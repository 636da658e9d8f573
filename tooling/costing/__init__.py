"""`botless cost`: measure the real entrypoints on this machine, then price the figures."""
