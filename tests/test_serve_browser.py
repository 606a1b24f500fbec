"""``annotator serve`` in a real headless Chromium: sign in, label with a hotkey, read what xterm.js drew.

The browser is Debian's ``chromium`` with its ``chromium-driver`` (``.ci/run`` installs both),
driven by Selenium pointed at them explicitly: nothing is downloaded. The rows xterm.js holds
are read from its buffer (textual.js draws with WebGL or canvas, so the DOM has no text) and
must be the very rows ``annotator render --rtl-mode plain`` prints for the same article: the
app sends visual order and shaped letters, and xterm.js, which does not reorder, shows them as sent.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
PASSWORD = "a long enough password"

pytestmark = [
    pytest.mark.skipif(not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
                       reason="Debian's chromium and chromium-driver are not installed (.ci/run installs them)"),
]
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (the test extra)")
pytest.importorskip("textual_serve", reason="the serve extra (textual-serve) is not installed")

from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from test_tui_support import cells  # noqa: E402

READ_TERMINAL = """
const t = window.annotatorTerminal;
if (!t) return null;
const buffer = t.buffer.active, rows = [];
for (let i = 0; i < t.rows; i++) { const line = buffer.getLine(buffer.viewportY + i);
  rows.push(line ? line.translateToString(true) : ''); }
return [t.cols, t.rows, rows, document.body.className];
"""


def annotator(*args: str, cwd: Path, stdin: str = "") -> str:
    result = subprocess.run([sys.executable, "-m", "annotator", *args], cwd=cwd, input=stdin,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def served(tmp_path):
    """``annotator serve`` on a free loopback port, over a store holding the first seed and one account."""
    seed = sorted((REPO / "seeds").glob("*.txt"))[0]
    annotator("import", str(seed), "--db", "t.db", cwd=tmp_path)
    annotator("users", "add", "amal", "--db", "t.db", cwd=tmp_path, stdin=PASSWORD + "\n")
    server = subprocess.Popen([sys.executable, "-m", "annotator", "serve", "--db", "t.db", "--port", "0"],
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = None
        deadline = time.monotonic() + 120
        while url is None and time.monotonic() < deadline:
            line = server.stderr.readline()
            if not line:
                break
            match = re.search(r"annotators open (http://127\.0\.0\.1:\d+/)", line)
            url = match.group(1) if match else None
        assert url, f"the server did not start: {server.stderr.read() if server.poll() is not None else ''}"
        yield url, tmp_path / "t.db", seed
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def browser():
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not fetch anything
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,900",
                "--enable-unsafe-swiftshader"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def terminal(driver, until: str, timeout: float = 60.0) -> tuple[int, int, list[str], str]:
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        state = driver.execute_script(READ_TERMINAL)
        if state and any(until in row for row in state[2]):
            return state
        time.sleep(0.2)
    rows = "\n".join(state[2]) if state else "(no terminal)"
    raise AssertionError(f"{until!r} never appeared in the browser's terminal:\n{rows}")




def keys(driver, *sequence) -> None:
    for key in sequence:
        if isinstance(key, tuple):  # (modifier, key)
            ActionChains(driver).key_down(key[0]).send_keys(key[1]).key_up(key[0]).perform()
        else:
            ActionChains(driver).send_keys(key).perform()
        time.sleep(0.6 if key == Keys.ESCAPE else 0.3)  # a lone ESC is only known when nothing follows


def claims(db: Path, annotator_name: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT COUNT(*) FROM sessions WHERE annotator=?", (annotator_name,)).fetchone()[0]


def test_sign_in_label_with_a_hotkey_and_see_what_render_gives(served, browser, tmp_path):
    from annotator.store import open_store

    url, db, seed = served
    browser.get(url)
    assert browser.current_url.endswith("/signin")
    browser.find_element(By.ID, "name").send_keys("amal")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "signin").click()
    cols, rows, screen, _ = terminal(browser, "finished")
    assert claims(db, "amal") == 1  # the app runs under the account's name, with the store's session rule

    # What xterm.js drew is what `annotator render` prints: the document pane is every column left of
    # the side panel's border; one gutter column at its left, a blank column and the scrollbar at its right.
    time.sleep(0.5)
    cols, rows, screen, _ = terminal(browser, "finished")
    browser.save_screenshot(str(tmp_path / "seed.png"))
    assert (tmp_path / "seed.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    grid = [cells(row) for row in screen]
    pane = grid[1].index("│")
    rendered = annotator("render", str(seed), "--width", str(pane - 2), "--rtl-mode", "plain", cwd=tmp_path)
    expected = rendered.split("\n")
    visible = min(len(expected), rows - 4)  # the header above, the hint and key bars below
    assert visible >= 10
    for index in range(visible):
        shown = "".join(grid[1 + index][1:pane - 2]).rstrip()
        assert shown == expected[index].rstrip(), f"row {index}:\n{shown!r}\n{expected[index]!r}"
    assert any(re.search("[\ufe70-\ufefc]", row) for row in screen)  # shaped: presentation forms

    # Label the second word PER with its hotkey; it is saved at once.
    browser.execute_script("window.annotatorTerminal.focus()")  # as a click in the page would
    keys(browser, Keys.ARROW_LEFT, Keys.ARROW_LEFT, "1")
    terminal(browser, "saved ✓")
    store = open_store(str(db))
    try:
        state = store.load(store.document_ids()[0], "amal")
        assert [(e.label, e.start, e.end) for e in state.entities] == [("PER", 16, 23)]
    finally:
        store.close()

    # Undo works as in a terminal; quitting ends the process and frees the annotator's session.
    keys(browser, (Keys.CONTROL, "z"))
    time.sleep(1.0)
    store = open_store(str(db))
    try:
        assert store.load(store.document_ids()[0], "amal").entities == ()
    finally:
        store.close()
    # A claim, help and the document list, each opened and closed with its key.
    keys(browser, "c")
    terminal(browser, "Check-worthy")
    keys(browser, "y", Keys.ESCAPE)
    time.sleep(1.0)
    store = open_store(str(db))
    try:
        [claim] = store.load(store.document_ids()[0], "amal").claims
        assert claim.attributes["checkworthy"] == "yes"
    finally:
        store.close()
    keys(browser, "?")
    terminal(browser, "Keys (esc closes)")
    keys(browser, Keys.ESCAPE)
    keys(browser, "/")
    terminal(browser, "Documents — type to search")
    keys(browser, Keys.ESCAPE)
    time.sleep(0.5)
    keys(browser, (Keys.CONTROL, "q"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "-closed" not in browser.execute_script(READ_TERMINAL)[3]:
        time.sleep(0.2)
    assert "-closed" in browser.execute_script(READ_TERMINAL)[3]
    assert browser.find_element(By.ID, "restart").is_displayed()
    deadline = time.monotonic() + 30
    while claims(db, "amal") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert claims(db, "amal") == 0
