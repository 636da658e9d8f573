"""The loopback stand-ins `botless cost` and the tests publish to answer like a real API, without stalls."""

from __future__ import annotations

import http.client

from tooling.loopback import Answer, LoopbackServer, _handler


def test_a_keep_alive_client_gets_every_answer_on_one_connection() -> None:
    with LoopbackServer(lambda request: Answer.json({"seen": request.path})) as server:
        connection = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=5)
        for path in ("/one", "/two"):
            connection.request("POST", path, b"{}", {"content-type": "application/json"})
            answer = connection.getresponse()
            assert (answer.status, answer.read()) == (200, b'{"seen": "%s"}' % path.encode())
        connection.close()


def test_the_answer_is_not_held_back_by_nagles_algorithm() -> None:
    # Headers and body are two writes: with Nagle on, the body waits for the client's delayed
    # ACK (~40 ms) on every keep-alive request, which `botless cost` would bill as the role's time.
    assert _handler(lambda request: Answer(204)).disable_nagle_algorithm is True
