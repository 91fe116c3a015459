"""Request bodies are held to their limit before anything reads or parses them, and no
error answer repeats what was sent (issue 12, finding 1)."""

from __future__ import annotations

import contextlib
import hashlib
import select
import socket
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from central.conftest import Platform, serving

MARKER = "X-MARKER-110101199003074518"


def raw_request(base: str, head: str, body_chunks: Iterable[bytes] = ()) -> bytes:
    """Send a request over a plain socket, as a client that does not wait for the server's
    say would: the head, then body chunks until the server answers (or they run out).
    Returns the answer's bytes."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(head.encode("latin-1"))
        for chunk in body_chunks:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.settimeout(30)
        answer = b""
        with contextlib.suppress(ConnectionResetError):  # a reset after it: what came is kept
            while b"\r\n\r\n" not in answer or not _whole(answer):
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
    return answer


def _whole(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def test_a_declared_oversized_body_is_refused_before_a_byte_of_it_is_sent(
    tmp_path: Path,
) -> None:
    """20 MB and 200 MB declared: 413 at once, while the client has sent only the head."""
    with serving(tmp_path) as base:
        for path, size in (("/auth/login", 20 << 20), ("/cases", 40 << 20)):
            answer = raw_request(
                base,
                f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Content-Length: {size}\r\n\r\n",
            )
            assert status_of(answer) == 413, answer[:300]
            assert b"too_large" in answer and len(answer) < 600
        upload = raw_request(
            base,
            f"PUT /cases/JY01-20261123-05-0001/files/{'a' * 64}?material=m&name=n HTTP/1.1\r\n"
            f"Host: x\r\nContent-Length: {200 << 20}\r\n\r\n",
        )
        assert status_of(upload) == 413
        with httpx.Client(base_url=base, timeout=10) as client:
            assert client.get("/health").status_code == 200  # still serving


def test_a_streamed_body_is_cut_off_at_the_limit(tmp_path: Path) -> None:
    """No length declared (chunked): refused as soon as the body passes the limit, not
    after reading all of it; the client is stopped long before its 20 MB are out."""
    chunk = b"[" + b"1," * 32_000 + b"1]"  # 64 KB of valid-looking JSON
    sent: list[int] = []

    def chunks() -> Iterator[bytes]:
        for _ in range(20 << 20 // len(chunk)):
            sent.append(len(chunk))
            yield f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"

    with serving(tmp_path) as base:
        answer = raw_request(
            base,
            "POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n",
            chunks(),
        )
    assert status_of(answer) == 413, answer[:300]
    assert b"1,1,1" not in answer
    assert sum(sent) < 20 << 20  # the server answered before the client was done


def test_bodies_at_and_past_the_limit(tmp_path: Path) -> None:
    """At the limit a request is read and judged on its merits; one byte past it, 413."""
    with serving(tmp_path, max_request_kib=16) as base, httpx.Client(base_url=base) as client:
        prefix, suffix = b'{"username": "clerk01", "pin": "', b'"}'
        at_limit = prefix + b"1" * (16 * 1024 - len(prefix) - len(suffix)) + suffix
        assert len(at_limit) == 16 * 1024
        headers = {"Content-Type": "application/json"}
        judged = client.post("/auth/login", content=at_limit, headers=headers)
        assert judged.status_code == 422  # read and refused as a bad PIN, not for its size
        past = client.post("/auth/login", content=at_limit + b" ", headers=headers)
        assert past.status_code == 413
        assert past.json() == {
            "error": "too_large",
            "message": "the request body may be at most 16384 bytes",
        }


def test_an_invalid_body_is_answered_without_repeating_it(platform: Platform) -> None:
    """A 422 names the fields that are wrong, never the values sent."""
    answer = platform.client.post(
        "/auth/login", json={"username": MARKER * 50, "pin": MARKER, MARKER: 1}
    )
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"] == "invalid_request"
    assert "username" in body["message"] and "pin" in body["message"]
    assert MARKER not in answer.text and "110101" not in answer.text
    assert len(answer.text) < 1000
    unknown = platform.client.get("/no/such/path")
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"


def test_an_upload_streams_to_its_limit(tmp_path: Path) -> None:
    """A scan at the file limit is kept; one byte more is refused with 413, declared or
    streamed, and nothing is stored."""
    with serving(tmp_path, max_file_mib=1) as base, httpx.Client(base_url=base) as client:
        clerk = client.post(
            "/auth/login", json={"username": "clerk01", "pin": "111111", "counter": 5}
        ).json()
        auth = {"Authorization": f"Bearer {clerk['token']}"}
        number = "JY01-20261123-05-0001"
        sent = client.post(
            "/cases",
            json={
                "number": number,
                "status": "rejected",
                "data": {"applicant": {"kind": "person"}},
            },
            headers={**auth, "Idempotency-Key": "limits-case-1"},
        )
        assert sent.status_code == 201, sent.text
        exact = b"%PDF-" + b"0" * ((1 << 20) - 5)
        over = exact + b"0"

        def put(content: bytes | Iterator[bytes], digest: str) -> httpx.Response:
            return client.put(
                f"/cases/{number}/files/{digest}",
                params={"material": "id_card", "name": "scan.pdf", "pages": 1},
                content=content,
                headers={**auth, "Content-Type": "application/pdf"},
            )

        kept = put(exact, hashlib.sha256(exact).hexdigest())
        assert kept.status_code == 201, kept.text
        over_digest = hashlib.sha256(over).hexdigest()
        assert put(over, over_digest).status_code == 413
        streamed = put(iter([over[i : i + 65536] for i in range(0, len(over), 65536)]), over_digest)
        assert streamed.status_code == 413
        assert put(exact, hashlib.sha256(exact).hexdigest()).status_code == 200  # kept once
