"""Scanned files on the platform (issue 12, finding 7): only the kinds the scanners make,
told by their content; names kept without folders or control characters; uploads and reads
scoped to the case's counter (and the departments it went to); a file served so that no
browser runs it; a SHA-256 in either case."""

from __future__ import annotations

import hashlib
from typing import Any

from central.conftest import Platform
from central.test_back_office import CLERK, approver, case_body, send

NUMBER = "JY01-20261123-05-0001"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML = b"<html><script>alert(document.cookie)</script></html>"
OTHER_CLERK = ("clerk02", "111112")


def put(
    p: Platform,
    headers: dict[str, str],
    content: bytes,
    mime: str,
    name: str = "scan.pdf",
    digest: str | None = None,
    number: str = NUMBER,
) -> Any:
    return p.client.put(
        f"/cases/{number}/files/{digest or hashlib.sha256(content).hexdigest()}",
        params={"material": "sale_contract", "name": name, "pages": 1},
        content=content,
        headers={**headers, "Content-Type": mime},
    )


def test_only_scans_of_the_kind_they_say_are_taken(platform: Platform) -> None:
    p = platform
    send(p, NUMBER, ["BDC-01"])
    clerk = p.login(*CLERK, counter=5)
    for content, mime in (
        (HTML, "text/html"),
        (HTML, "application/pdf"),  # a page dressed as a PDF
        (PDF, "image/png"),  # a PDF said to be an image
        (PDF, "application/octet-stream"),
        (b"MZ\x90\x00", "application/pdf"),
    ):
        refused = put(p, clerk, content, mime)
        assert refused.status_code == 415, (mime, refused.text)
        assert refused.json()["error"] == "unsupported_file"
    assert put(p, clerk, PDF, "application/pdf; charset=binary").status_code == 201


def test_a_file_is_served_as_an_attachment_that_nothing_sniffs(platform: Platform) -> None:
    p = platform
    send(p, NUMBER, ["BDC-01"])
    clerk = p.login(*CLERK, counter=5)
    sha = hashlib.sha256(PDF).hexdigest()
    assert (
        put(p, clerk, PDF, "application/pdf", name="../../etc/pass\x1bwd\u202e.pdf").status_code
        == 201
    )
    got = p.client.get(f"/cases/{NUMBER}/files/{sha}", headers=clerk)
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"] == "attachment; filename*=UTF-8''passwd.pdf"
    bdc = p.client.get("/handoffs", headers=approver(p, "BDC")).json()[0]
    detail = p.client.get(f"/handoffs/{bdc['id']}", headers=approver(p, "BDC")).json()
    names = [f["file_name"] for m in detail["materials"] for f in m["files"]]
    assert names == ["passwd.pdf"]


def test_a_sha256_in_capitals_is_the_same_file(platform: Platform) -> None:
    p = platform
    send(p, NUMBER, ["BDC-01"])
    clerk = p.login(*CLERK, counter=5)
    upper = hashlib.sha256(PDF).hexdigest().upper()
    assert put(p, clerk, PDF, "application/pdf", digest=upper).status_code == 201
    assert put(p, clerk, PDF, "application/pdf", digest=upper.lower()).status_code == 200
    got = p.client.get(f"/cases/{NUMBER}/files/{upper}", headers=clerk)
    assert got.status_code == 200 and got.content == PDF
    bad = put(p, clerk, PDF, "application/pdf", digest="z" * 64)
    assert bad.status_code == 422


def test_files_belong_to_the_case_counter_and_its_departments(platform: Platform) -> None:
    p = platform
    send(p, NUMBER, ["BDC-01"])
    sha = hashlib.sha256(PDF).hexdigest()
    elsewhere = p.login(*OTHER_CLERK, counter=6)
    refused = put(p, elsewhere, PDF, "application/pdf")
    assert refused.status_code == 403 and refused.json()["error"] == "not_your_counter"
    assert put(p, p.login(*CLERK, counter=5), PDF, "application/pdf").status_code == 201
    read = p.client.get(f"/cases/{NUMBER}/files/{sha}", headers=elsewhere)
    assert read.status_code == 403 and read.json()["error"] == "not_your_counter"
    assert (
        p.client.get(f"/cases/{NUMBER}/files/{sha}", headers=approver(p, "BDC")).status_code == 200
    )
    other_department = p.client.get(f"/cases/{NUMBER}/files/{sha}", headers=approver(p, "GA"))
    assert other_department.status_code == 403
    supervisor = p.login("super01", "222222")
    assert p.client.get(f"/cases/{NUMBER}/files/{sha}", headers=supervisor).status_code == 200


def test_the_counter_taking_up_a_notice_may_add_its_scans(platform: Platform) -> None:
    p = platform
    notice = case_body(NUMBER, ["BDC-01"])
    notice["status"] = "supplement"
    first = p.login(*CLERK, counter=5) | {"Idempotency-Key": "draft-notice"}
    assert p.client.post("/cases", json=notice, headers=first).status_code == 201
    elsewhere = p.login(*OTHER_CLERK, counter=6)
    assert put(p, elsewhere, PDF, "application/pdf").status_code == 403  # not yet its case
    again = case_body(NUMBER, ["BDC-01"])
    again["data"]["continues"] = NUMBER
    headers = elsewhere | {"Idempotency-Key": "draft-again"}
    assert p.client.post("/cases", json=again, headers=headers).status_code == 200
    assert put(p, elsewhere, PDF, "application/pdf").status_code == 201
