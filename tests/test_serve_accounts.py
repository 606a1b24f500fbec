"""Accounts of ``annotator serve``: hashes, links, the slow-down, both stores, and ``annotator users``."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.errors import AnnotatorError, StoreError
from annotator.serve.accounts import (
    Throttle,
    check_name,
    expiry_iso,
    hash_password,
    new_token,
    token_digest,
    verify_password,
)
from annotator.store import open_store

REPO = Path(__file__).resolve().parents[1]


# -- hashes, names, links --------------------------------------------------------------------------


def test_password_hash_is_salted_scrypt_with_its_parameters():
    one, two = hash_password("correct horse"), hash_password("correct horse")
    assert one != two  # a random salt each time
    scheme, n, r, p, salt, digest = one.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", 2**14, 8, 1)
    assert "correct horse" not in one
    assert verify_password("correct horse", one) and verify_password("correct horse", two)
    assert not verify_password("correct horsE", one)
    assert not verify_password("", one)


def test_unknown_accounts_and_damaged_hashes_never_verify():
    assert not verify_password("anything at all", None)  # runs scrypt against a dummy: same cost
    for damaged in ("", "plain", "md5$1$2$3$abc$def", "scrypt$0$8$1$AA$AA", "scrypt$16384$8$1$!!$??"):
        assert not verify_password("x", damaged)


@pytest.mark.parametrize("name", ["amal", "عمر", "bilal.k", "dina_2", "e@news"])
def test_account_names_that_are_accepted(name):
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", "-x", "--take-over", "a b", "tab\there", "x" * 65, "new\nline",
                                  "rlo\u202eevil", ".hidden", "semi;colon", "$(rm)"])
def test_account_names_that_are_refused(name):
    with pytest.raises(AnnotatorError):
        check_name(name)


def test_tokens_are_random_and_only_their_digest_is_kept():
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50 and all(len(t) >= 43 for t in tokens)
    token = tokens.pop()
    assert token_digest(token) != token and len(token_digest(token)) == 64


def test_throttle_delay_grows_per_key_is_capped_forgets_and_bounded():
    now = [0.0]
    throttle = Throttle(base=0.5, cap=4.0, forget=60.0, max_keys=3, clock=lambda: now[0])
    assert throttle.delay("addr:1", "name:amal") == 0
    delays = []
    for _ in range(6):
        throttle.failed("addr:1", "name:amal")
        delays.append(throttle.delay("addr:1"))
    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert throttle.delay("addr:2", "name:amal") == 4.0  # the account is slowed from any address
    assert throttle.delay("addr:2", "name:bilal") == 0
    throttle.succeeded("addr:1", "name:amal")
    assert throttle.delay("addr:1", "name:amal") == 0
    throttle.failed("addr:9")
    now[0] = 61.0
    assert throttle.delay("addr:9") == 0  # forgotten after a quiet minute
    for i in range(10):
        throttle.failed(f"addr:{i}")
    assert len(throttle) == 3  # memory stays bounded under a flood of addresses


# -- both stores -------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    db = str(tmp_path / "a.db") if request.param == "sqlite" else request.getfixturevalue("pg_cluster").new_schema()
    s = open_store(db)
    yield s
    s.close()


def test_accounts_are_kept_listed_changed_and_removed(store):
    encoded = hash_password("first password")
    store.add_account("amal", encoded)
    store.add_account("bilal", None)
    with pytest.raises(StoreError, match="already exists"):
        store.add_account("amal", None)
    assert [(a.name, a.password) for a in store.accounts()] == [("amal", encoded), ("bilal", None)]
    before = store.get_account("amal")
    assert store.set_password("amal", hash_password("second password"))
    after = store.get_account("amal")
    assert after.updated_at >= before.updated_at and after.password != encoded
    assert not store.set_password("nobody", None)
    assert store.remove_account("bilal") and not store.remove_account("bilal")
    assert store.get_account("bilal") is None and store.get_account("nobody") is None
    assert store.integrity_check() == "ok"


def test_a_link_is_spent_once_and_an_expired_one_never(store):
    store.add_account("amal", None)
    token, old, other = new_token(), new_token(), new_token()
    store.add_account_token("amal", token_digest(token), expiry_iso(1))
    store.add_account_token("amal", token_digest(old), expiry_iso(-0.01))
    assert store.use_account_token(token_digest(old)) is None
    assert store.use_account_token(token_digest(token)) == "amal"
    assert store.use_account_token(token_digest(token)) is None
    store.add_account_token("amal", token_digest(other), expiry_iso(1))
    store.remove_account("amal")  # a removed account's links go with it
    assert store.use_account_token(token_digest(other)) is None


def test_an_older_sqlite_store_gains_the_accounts_tables(tmp_path):
    from annotator.store.base import SQLITE_APPLICATION_ID
    from annotator.store.migrations import MIGRATIONS

    path = tmp_path / "old.db"
    db = sqlite3.connect(path, isolation_level=None)
    for version, script in enumerate(MIGRATIONS[:3], start=1):  # a store of version 3: before accounts (4)
        for statement in script.split(";\n"):
            if statement.strip():
                db.execute(statement)
        db.execute(f"PRAGMA user_version={version}")
    db.execute(f"PRAGMA application_id={SQLITE_APPLICATION_ID}")
    db.close()
    store = open_store(str(path), create=False)
    try:
        store.add_account("amal", None)
        assert [a.name for a in store.accounts()] == ["amal"]
    finally:
        store.close()


# -- annotator users ---------------------------------------------------------------------------------


def users(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "annotator", "users", *args, "--db", "t.db"], cwd=cwd,
                          input=stdin, capture_output=True, text=True, timeout=120)


def test_users_add_list_token_password_remove(tmp_path):
    missing = users("list", cwd=tmp_path)
    assert missing.returncode == 2 and "no annotation store" in missing.stderr
    assert not (tmp_path / "t.db").exists()
    subprocess.run([sys.executable, "-m", "annotator", "import", str(REPO / "seeds"), "--db", "t.db"],
                   cwd=tmp_path, check=True, capture_output=True)

    assert users("add", "amal", cwd=tmp_path, stdin="a good password\n").returncode == 0
    short = users("add", "bilal", cwd=tmp_path, stdin="short\n")
    assert short.returncode == 2 and "at least 8 characters" in short.stderr
    assert users("add", "bilal", "--no-password", cwd=tmp_path).returncode == 0
    again = users("add", "amal", cwd=tmp_path, stdin="another password\n")
    assert again.returncode == 2 and "already exists" in again.stderr and "Traceback" not in again.stderr
    listed = users("list", cwd=tmp_path)
    assert listed.stdout.splitlines()[0].startswith("amal\tpassword\tsince ")
    assert listed.stdout.splitlines()[1].startswith("bilal\tlinks only\tsince ")

    link = users("token", "bilal", "--public-url", "https://annotate.example.org/", cwd=tmp_path)
    assert link.returncode == 0
    url = link.stdout.strip()
    assert url.startswith("https://annotate.example.org/signin?token=")
    assert "one use, for bilal, within 24 hours" in link.stderr
    nobody = users("token", "nobody", cwd=tmp_path)
    assert nobody.returncode == 2 and "no account 'nobody'" in nobody.stderr

    store = open_store(str(tmp_path / "t.db"), create=False)
    try:
        old = store.get_account("amal").password
        assert verify_password("a good password", old)
        assert store.use_account_token(token_digest(url.split("token=")[1])) == "bilal"
    finally:
        store.close()
    assert users("password", "amal", cwd=tmp_path, stdin="a better password\n").returncode == 0
    assert users("remove", "bilal", cwd=tmp_path).returncode == 0
    assert users("remove", "bilal", cwd=tmp_path).returncode == 2
    store = open_store(str(tmp_path / "t.db"), create=False)
    try:
        assert [a.name for a in store.accounts()] == ["amal"]
        assert verify_password("a better password", store.get_account("amal").password)
    finally:
        store.close()
    bad = users("add", "--", "-rf", cwd=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
