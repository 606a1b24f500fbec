"""``annotator users``: the sign-in accounts of ``annotator serve``, kept in the store.

An account's name is the annotator name its browser sessions write as. Passwords
are read from the terminal (twice) or, for scripts, the first line of standard
input; only a salted scrypt hash is stored (``annotator.serve.accounts``).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TextIO

from annotator.commands._common import add_db_argument, existing_store_from
from annotator.console import say
from annotator.errors import AnnotatorError
from annotator.serve.accounts import (
    TOKEN_HOURS,
    check_name,
    check_password,
    expiry_iso,
    hash_password,
    new_token,
    token_digest,
)

NAME = "users"
HELP = "sign-in accounts for `annotator serve`: add, remove, list, password, token"
DESCRIPTION = ("Manage who may sign in to `annotator serve`. Each account is an annotator name; its "
               "password is stored only as a salted scrypt hash. `users token NAME` prints a one-time "
               "sign-in link instead (see docs/serve.md).")
DEFAULT_URL = "http://127.0.0.1:8000"


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="create an account (asks for its password)")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--no-password", action="store_true",
                     help="no password: the account signs in only with links from `users token`")
    password = sub.add_parser("password", help="set a new password (signs the account's sessions out)")
    password.add_argument("name", metavar="NAME")
    remove = sub.add_parser("remove", help="delete an account (its labels stay; its sessions end)")
    remove.add_argument("name", metavar="NAME")
    sub.add_parser("list", help="the accounts, one a line")
    token = sub.add_parser("token", help="print a one-time sign-in link for an account")
    token.add_argument("name", metavar="NAME")
    token.add_argument("--hours", type=float, default=TOKEN_HOURS,
                       help=f"how long the link stays usable (default {TOKEN_HOURS})")
    token.add_argument("--public-url", metavar="URL", default=DEFAULT_URL,
                       help=f"the address annotators open, as given to `serve` (default {DEFAULT_URL})")
    for q in (add, password, remove, sub.choices["list"], token):
        add_db_argument(q)


def read_password(stdin: TextIO | None = None) -> str:
    """From the terminal: asked twice, not echoed. Otherwise: the first line of standard input."""
    stdin = stdin or sys.stdin
    if stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise AnnotatorError("the two passwords differ; nothing was changed")
        return check_password(first)
    line = stdin.readline()
    return check_password(line[:-1] if line.endswith("\n") else line)


def run(args: argparse.Namespace) -> int:
    name = check_name(args.name) if hasattr(args, "name") else ""  # `list` names no one
    if args.action == "token" and not args.hours > 0:
        raise AnnotatorError("--hours must be more than 0")
    store = existing_store_from(args)
    try:
        exists = bool(name) and store.get_account(name) is not None
        if args.action == "add" and exists:  # said before a password is typed for nothing
            raise AnnotatorError(f"an account {name!r} already exists; `annotator users password {name}` "
                                 "changes its password")
        if args.action == "password" and not exists:
            raise AnnotatorError(f"no account {name!r}; `annotator users add {name}` creates it")
        encoded = None
        if args.action in ("add", "password") and not getattr(args, "no_password", False):
            encoded = hash_password(read_password())
        if args.action == "add":
            store.add_account(name, encoded)
            say(f"added {name}" + (" (signs in with `annotator users token` links only)" if encoded is None else ""),
                file=sys.stderr)
        elif args.action == "password":
            if not store.set_password(name, encoded):
                raise AnnotatorError(f"no account {name!r}; `annotator users add {name}` creates it")
            say(f"new password for {name}; their open sessions end", file=sys.stderr)
        elif args.action == "remove":
            if not store.remove_account(name):
                raise AnnotatorError(f"no account {name!r}")
            say(f"removed {name} (their labels stay in the store); their open sessions end", file=sys.stderr)
        elif args.action == "list":
            for account in store.accounts():
                how = "password" if account.password else "links only"
                say(f"{account.name}\t{how}\tsince {account.created_at[:10]}")
        elif args.action == "token":
            if store.get_account(name) is None:
                raise AnnotatorError(f"no account {name!r}; `annotator users add {name} --no-password` creates one")
            token = new_token()
            store.add_account_token(name, token_digest(token), expiry_iso(args.hours))
            say(f"{args.public_url.rstrip('/')}/signin?token={token}")
            say(f"one use, for {name}, within {args.hours:g} hours", file=sys.stderr)
    finally:
        store.close()
    return 0
