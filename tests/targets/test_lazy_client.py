"""providers/lazy_client.py: a cloud client is made on first use, once, whatever the threads."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from providers.lazy_client import LazyClient


def test_nothing_is_made_until_first_use_and_then_once_for_every_thread() -> None:
    made: list[object] = []
    gate = threading.Barrier(8)

    def make() -> object:
        made.append(object())
        return made[-1]

    lazy = LazyClient(make)
    assert made == []  # building the publisher or store does no I/O

    def first_use() -> object:
        gate.wait()  # all eight ask at once
        return lazy.get()

    with ThreadPoolExecutor(8) as pool:
        clients = list(pool.map(lambda _: first_use(), range(8)))
    assert len(made) == 1 and all(client is made[0] for client in clients)
    assert lazy.get() is made[0]
