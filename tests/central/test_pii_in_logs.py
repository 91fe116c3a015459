"""No applicant's number in a log (issue 12, finding 5): a failure whose database error
repeats the whole row leaves the crash log and the server's log masked; the notification log
and the data files are for the platform's own user only."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import httpx
from central.conftest import PG_URL, Platform, serving
from central.test_back_office import AGENT_ID, case_body, send
from sqlalchemy import create_engine, text

SECRETS = (AGENT_ID, "51050219900101123X", "13912345678", "13812345678", '"123456"')


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.text.append(self.format(record))


def test_a_failure_repeating_a_row_leaves_no_number_in_any_log(tmp_path: Path) -> None:
    collected = Collect()
    collected.setFormatter(logging.Formatter("%(message)s"))
    try:
        with serving(tmp_path, "postgres") as base:
            # Once uvicorn has set its logging up (which drops the handlers it finds).
            logging.getLogger("uvicorn.error").addHandler(collected)
            # A row the database refuses and repeats whole in its error ("Failing row
            # contains (...)"), as any constraint a hall's DBA adds may.
            with create_engine(PG_URL).begin() as db:
                db.execute(
                    text(
                        "ALTER TABLE intake_case ADD CONSTRAINT refuse "
                        "CHECK (data_json NOT LIKE '%applicant%')"
                    )
                )
            with httpx.Client(base_url=base, timeout=30) as client:
                token = client.post(
                    "/auth/login", json={"username": "clerk01", "pin": "111111", "counter": 5}
                ).json()["token"]
                failed = client.post(
                    "/cases",
                    json=case_body("JY01-20261123-05-0001", ["BDC-01"]),
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "draft-x1"},
                )
    finally:
        logging.getLogger("uvicorn.error").removeHandler(collected)
    assert failed.status_code == 500
    assert "crash.log" in failed.json()["message"]
    crash = (tmp_path / "crash.log").read_text(encoding="utf-8")
    assert "Failing row contains" in crash  # the fault is there to read...
    server_log = "\n".join(collected.text)
    assert "Traceback" not in server_log
    for secret in SECRETS:  # ...without a number of the applicant's
        assert secret not in crash, secret
        assert secret not in server_log, secret
        assert secret not in failed.text, secret


def test_the_notification_log_and_the_data_are_the_platform_users_alone(
    platform: Platform,
) -> None:
    p = platform
    send(p, "JY01-20261123-05-0001", ["BDC-01"])
    p.client.get("/health")
    data = Path(p.config.data_path())
    log = data / "notifications.log"
    text = log.read_text(encoding="utf-8")
    assert "139****5678" in text or "138****5678" in text
    for secret in ("13912345678", "13812345678", "123456"):
        assert secret not in text, secret
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) & 0o077 == 0
    if p.backend == "sqlite":
        assert stat.S_IMODE((data / "central.db").stat().st_mode) == 0o600
