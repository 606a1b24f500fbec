"""Work off the UI thread on big documents (issue 12, aim 2): F2's count of invisible characters,
the recommenders on opening and string-match's proposals after a hand label run in a worker,
in order, and their answers are exact, complete, never duplicated and never applied to another
document. No timing here: the figures are ``bench/bench_bigdoc_keys.py``'s."""

from __future__ import annotations

import threading
from dataclasses import replace

from test_scale_docsize import big_text
from test_tui_support import SIZE, main, make_app, make_session

from annotator.model.annotations import Annotations, Claim, Document, Entity
from annotator.recommend import RecommendContext
from annotator.recommend.apply import fit_proposals
from annotator.recommend.claims import ClaimCues, _chunks, _claimer_labels, _Reading
from annotator.recommend.learned import Lexicon, StringMatch
from annotator.recommend.patterns import Patterns, PatternSet, TokenPattern
from annotator.schema import default_schema_path, load_schema
from annotator.text.controls import count_hidden
from annotator.text.matching import normalize_for_search
from annotator.text.tokens import tokenize
from annotator.tui.screens import annotate as annotate_module
from annotator.tui.screens.annotate import HIDDEN_COUNT_NOW
from annotator.tui.screens.finding import RECOMMEND_NOW

SCHEMA = load_schema(default_schema_path())
CONTEXT = RecommendContext(SCHEMA, "tester")


def hidden_text(chars: int) -> str:
    """Seed paragraphs with a right-to-left mark or a zero-width joiner every few paragraphs."""
    lines = big_text(chars).split("\n")
    for i in range(0, len(lines), 7):
        lines[i] = lines[i].replace(" ", " \u200f", 1) if i % 2 else lines[i] + "\u200d"
    return "\n".join(lines)


class Recording(StringMatch):
    """string-match that notes the thread of each ``propose`` (and can be held back)."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[int] = []
        self.gate: threading.Event | None = None

    def propose(self, document, annotations, context):
        self.threads.append(threading.get_ident())
        if self.gate is not None:
            assert self.gate.wait(60)
        return super().propose(document, annotations, context)


def whole_text_find(lexicon: Lexicon, text: str) -> list[tuple[int, int, tuple[str, ...]]]:
    """``Lexicon.find`` as it was: every token of the whole text at once."""
    tokens = [t for t in tokenize(text) if normalize_for_search(t.text)]
    norms = [normalize_for_search(t.text) for t in tokens]
    hits: list[tuple[int, int, tuple[str, ...]]] = []
    covered = 0
    for i in range(len(tokens)):
        hit = lexicon._match_at(text, tokens, norms, i)
        if hit is None or hit[0] < covered < hit[1]:
            continue
        hits.append(hit)
        covered = max(covered, hit[1])
    return hits


def standalone(text: str, word: str, last: bool = False) -> int:
    """The start of the first (or last) token that is ``word`` itself (no proclitic)."""
    pos = text.rfind(word) if last else text.find(word)
    while not (tokenize(text[pos:pos + len(word) + 1])[0].text == word and (pos == 0 or text[pos - 1] == " ")):
        pos = text.rfind(word, 0, pos) if last else text.find(word, pos + 1)
    return pos


async def settle(pilot, app) -> None:
    """Until every worker has answered (a worker's answer may start another job)."""
    for _ in range(6):
        await app.workers.wait_for_complete()
        await pilot.pause()
    await pilot.pause()


# -- the scans, read a piece at a time, equal the whole-text ones ------------------------------

def hold_the_count(monkeypatch) -> list:
    """Hold the invisible-character count's delayed start: the callbacks are gathered in the list
    returned, for the test to run when it says (never by the clock)."""
    delayed: list = []
    real_set_timer = annotate_module.AnnotateScreen.set_timer
    held = 3600.0

    def set_timer(self, delay, callback=None, **kwargs):
        if delay == held:
            delayed.append(callback)
        return real_set_timer(self, delay, callback, **kwargs)

    monkeypatch.setattr(annotate_module, "HIDDEN_COUNT_DELAY", held)
    monkeypatch.setattr(annotate_module.AnnotateScreen, "set_timer", set_timer)
    return delayed


def test_string_match_patterns_and_claim_cues_read_by_pieces_equal_the_whole_text_scan():
    text = big_text(120_000)
    learned = StringMatch()
    learned.learn([("سوريا", "GPE"), ("الأمم المتحدة", "ORG"), ("وزارة الخارجية", "ORG"), ("قال", "PER")])
    doc = Document("d", text)
    assert learned.lexicon.find(text) == whole_text_find(learned.lexicon, text)
    proposals = learned.propose(doc, Annotations("d", "tester"), CONTEXT)
    assert len(proposals) > 100

    patterns = PatternSet("p.jsonl")
    patterns.token_patterns += [TokenPattern("GPE", (("lower", "سوريا"),), 1),
                                TokenPattern("ORG", (("orth", "الأمم"), ("lower", "المتحدة")), 2)]
    found = Patterns(patterns)._token_matches(text)
    tokens = tokenize(text)
    expected = [(t.start, "GPE") for t in tokens if normalize_for_search(t.text) == "سوريا"]
    expected += [(t.start, "ORG") for t, u in zip(tokens, tokens[1:], strict=False)
                 if t.text == "الأمم" and normalize_for_search(u.text) == normalize_for_search("المتحدة")]
    assert sorted((p.start, p.label) for p in found) == sorted(expected) and expected

    state = Annotations("d", "tester", entities=tuple(
        Entity(f"e{i}", p.start, p.end, p.label or "") for i, p in enumerate(proposals)))
    cues = ClaimCues()
    cues.prepare(None, CONTEXT)
    assert len(list(_chunks(text))) > 10
    by_pieces = cues.propose(doc, state, CONTEXT)
    whole = ClaimCues(cues.cues)  # the old reading: the whole text as one piece
    labels = _claimer_labels(cues.cues, SCHEMA)
    reading = _Reading({label: n for n, label in enumerate(cues.cues.claimer_labels)}, [],
                       [(e.start, e.end) for e in state.entities])
    mentions = sorted((e for e in state.entities if e.label in labels), key=lambda e: (e.start, e.end))
    assert by_pieces == whole._propose_in(text, mentions, cues.cues, reading) and len(by_pieces) > 100
    assert any(p.claimer for p in by_pieces)


# -- F2 ------------------------------------------------------------------------------------------

async def test_f2_on_a_big_document_reuses_the_count_made_in_a_worker(tmp_path, monkeypatch):
    """Before: F2 counted the invisible characters again on the UI thread (about 1 s for 100 MB)."""
    text = hidden_text(2_100_000)
    assert len(text) > HIDDEN_COUNT_NOW
    expected = count_hidden(text)
    counted: list[int] = []

    def recording(t: str) -> int:
        counted.append(threading.get_ident())
        return count_hidden(t)

    monkeypatch.setattr(annotate_module, "count_hidden", recording)
    # The count's delay is held and run when the test says, not by the clock (a loaded machine could pass
    # it before F2 arrives); then the test waits for the worker itself, not for a time.
    delayed = hold_the_count(monkeypatch)
    session = make_session(tmp_path / "big.db", docs=(("big", text),))
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        ui = threading.get_ident()
        await pilot.pause()
        screen = main(app)
        assert len(delayed) == 1 and counted == []  # the count waits for its delay
        await pilot.press("f2")  # before the count
        await pilot.pause()
        assert ui not in counted  # not counted on the UI thread
        assert screen.view.show_controls and screen.view.doc_layout.options.show_controls
        assert screen.status.message == annotate_module.COUNTING
        for due in delayed:  # the delay passes: the count goes to its worker
            due()
        await settle(pilot, app)
        assert f"({expected} in this document)" in screen.status.message  # said when it arrived
        await pilot.press("f2", "f2")  # hidden, shown again: the count is reused
        await pilot.pause()
        assert f"({expected} in this document)" in screen.status.message
        assert len(counted) == 1 and ui not in counted
    session.store.close()


async def test_an_old_documents_count_is_not_said_on_the_next_one(tmp_path, monkeypatch):
    big, small = hidden_text(1_100_000), "نص قصير بلا شيء خفي."
    counted: list[int] = []

    def recording(t: str) -> int:
        counted.append(len(t))
        return count_hidden(t)

    monkeypatch.setattr(annotate_module, "count_hidden", recording)
    # The count's delay is held here and run when the test says, not by the clock (which a loaded
    # machine can pass before the "n" key arrives).
    delayed = hold_the_count(monkeypatch)
    session = make_session(tmp_path / "two.db", docs=(("a", big), ("b", small)))
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main(app)
        assert len(delayed) == 1  # the big one's count waits for its delay
        await pilot.press("n")  # away before the big one's count starts
        await pilot.pause()
        assert screen.doc_id == "b"
        for due in delayed:  # the delay passes after the document was left
            due()
        await settle(pilot, app)
        await pilot.press("f2")
        await pilot.pause()
        assert "(0 in this document)" in screen.status.message
        assert len(big) not in counted  # the big one's count never ran: it was left first
    session.store.close()


# -- recommenders on opening -----------------------------------------------------------------

async def test_recommenders_propose_on_a_big_document_in_a_worker_exactly_once(tmp_path):
    """Before: string-match and claim-cues scanned the whole document on the UI thread when it
    opened. Now in a worker, in order (claim-cues sees string-match's proposals), exact."""
    text = big_text(600_000)
    learned = Recording()
    learned.learn([("سوريا", "GPE"), ("الأمم المتحدة", "ORG")])
    cues = ClaimCues()
    session = make_session(tmp_path / "big.db", docs=(("big", text),))
    app = make_app(session, recommenders=(learned, cues))
    async with app.run_test(size=SIZE) as pilot:
        ui = threading.get_ident()
        await settle(pilot, app)
        screen = main(app)
        assert learned.threads and ui not in learned.threads
        assert screen.proposing.threads and ui not in screen.proposing.threads
        state = session.annotations("big")
        expected = fit_proposals(learned.matches(text), Annotations("big", "tester"), text, SCHEMA)
        got = sorted((e.start, e.end, e.label) for e in state.entities)
        assert got == sorted((p.start, p.end, p.label) for p in expected) and len(got) > 100
        assert state.claims and any(c.claimer for c in state.claims)  # after string-match's entities
        assert len({(c.start, c.end) for c in state.claims}) == len(state.claims)
    session.store.close()


async def test_a_label_made_while_proposing_is_kept_and_not_proposed_again(tmp_path):
    text = big_text(300_000)
    assert len(text) > RECOMMEND_NOW
    learned = Recording()
    learned.learn([("سوريا", "GPE")])
    learned.gate = threading.Event()
    session = make_session(tmp_path / "big.db", docs=(("big", text),))
    app = make_app(session, recommenders=(learned,))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main(app)
        first = standalone(text, "سوريا")
        screen.view.move_to(first)
        await pilot.press("4")  # LOC by hand, on a span string-match is about to propose as GPE
        await pilot.pause()
        learned.gate.set()
        await settle(pilot, app)
        state = session.annotations("big")
        at_first = [(e.label, e.source) for e in state.entities if e.start == first]
        assert at_first == [("LOC", None)]
        occurrences = [p for p in learned.matches(text)]
        proposed = {(e.start, e.end) for e in state.entities if e.source}
        assert proposed == {(p.start, p.end) for p in occurrences} - {(first, first + 5)}
        assert len(state.entities) == len({(e.start, e.end) for e in state.entities})
    session.store.close()


async def test_proposals_for_a_document_left_meanwhile_are_dropped_then_made_on_return(tmp_path):
    text = big_text(300_000)
    learned = Recording()
    learned.learn([("سوريا", "GPE")])
    learned.gate = threading.Event()
    session = make_session(tmp_path / "big.db", docs=(("a", text), ("b", "في سوريا اليوم.")))
    app = make_app(session, recommenders=(learned,))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main(app)
        await pilot.press("n")  # to b while a's proposals are being made
        await pilot.pause()
        assert screen.doc_id == "b"
        learned.gate.set()
        await settle(pilot, app)
        assert session.annotations("a").entities == ()  # dropped: a was left
        assert [(e.start, e.source) for e in session.annotations("b").entities] == [(3, "recommend:string-match")]
        await pilot.press("p")  # back to a: proposed now, once
        await settle(pilot, app)
        spans = [(e.start, e.end) for e in session.annotations("a").entities]
        assert sorted(spans) == sorted((p.start, p.end) for p in learned.matches(text)) and len(spans) > 10
    session.store.close()


# -- string-match after a hand label ----------------------------------------------------------

async def test_a_hand_label_on_a_big_document_is_proposed_elsewhere_from_a_worker_as_its_own_undo_step(tmp_path):
    """Before: the other occurrences were found by scanning the whole text on the UI thread."""
    text = big_text(1_500_000)
    learned = Recording()
    session = make_session(tmp_path / "big.db", docs=(("big", text),))
    app = make_app(session, recommenders=(learned,))
    async with app.run_test(size=SIZE) as pilot:
        ui = threading.get_ident()
        await settle(pilot, app)
        screen = main(app)
        learned.threads.clear()
        await pilot.press("ctrl+end")
        last = standalone(text, "سوريا", last=True)
        screen.view.move_to(last)
        await pilot.press("3")  # GPE by hand, at the end
        await pilot.pause()
        await settle(pilot, app)
        assert learned.threads and ui not in learned.threads
        state = session.annotations("big")
        assert [(e.start, e.label) for e in state.entities if e.source is None] == [(last, "GPE")]
        others = {(p.start, p.end) for p in learned.matches(text)} - {(last, last + 5)}
        assert {(e.start, e.end) for e in state.entities if e.source} == others and len(others) > 100
        assert "string-match proposes" in screen.status.message and "Labelled" in screen.status.message
        await pilot.press("ctrl+z")  # the proposals first…
        await settle(pilot, app)
        assert [e.source for e in session.annotations("big").entities] == [None]
        await pilot.press("ctrl+z")  # …then the label
        await settle(pilot, app)
        assert session.annotations("big").entities == ()
    session.store.close()


def test_claim_cues_near_a_span_reads_only_the_pieces_around_it_and_finds_what_the_whole_finds():
    """A claim added by hand asks claim-cues for its claimer (``_propose_claimer``): the proposals
    overlapping it, from the pieces around it, are those the whole document gives."""
    text = big_text(200_000)
    learned = StringMatch()
    learned.learn([("قوات سوريا الديمقراطية", "ORG"), ("الأمم المتحدة", "ORG")])
    doc = Document("d", text)
    state = Annotations("d", "tester", entities=tuple(
        Entity(f"e{i}", p.start, p.end, p.label or "") for i, p in enumerate(learned.propose(doc, Annotations("d", "tester"), CONTEXT))))
    cues = ClaimCues()
    cues.prepare(None, CONTEXT)
    whole = cues.propose(doc, state, CONTEXT)
    for claim in whole[len(whole) // 2:len(whole) // 2 + 5] + whole[-2:]:
        start, end = claim.start, claim.end
        near = cues.propose_near(doc, state, CONTEXT, start, end)
        overlapping = [p for p in whole if p.start < end and start < p.end]
        assert claim in near and [p for p in near if p.start < end and start < p.end] == overlapping
        assert len(near) < len(whole) / 10


def test_claim_cues_asked_on_two_threads_at_once_answers_each_as_alone():
    """The opening's claim-cues may run in a worker while a hand claim asks it for a claimer on
    the UI thread: what one call reads by is its own (``claims._Reading``, passed along the call)."""
    text = big_text(150_000)
    learned = StringMatch()
    learned.learn([("قوات سوريا الديمقراطية", "ORG"), ("الأمم المتحدة", "ORG")])
    doc = Document("d", text)
    state = Annotations("d", "tester", entities=tuple(
        Entity(f"e{i}", p.start, p.end, p.label or "")
        for i, p in enumerate(learned.propose(doc, Annotations("d", "tester"), CONTEXT))))
    cues = ClaimCues()
    cues.prepare(None, CONTEXT)
    claims = [p for p in cues.propose(doc, state, CONTEXT) if p.claimer][::3]  # every third one, kept
    state = replace(state, claims=tuple(Claim(f"c{i}", p.start, p.end, {}, p.claimer) for i, p in enumerate(claims)))
    whole = cues.propose(doc, state, CONTEXT)  # the others' claimers: the speaker before (``_speaker_before``)
    span = (whole[len(whole) // 2].start, whole[len(whole) // 2].end)
    near = cues.propose_near(doc, state, CONTEXT, *span)
    answers: list = []
    worker = threading.Thread(target=lambda: answers.append(cues.propose(doc, state, CONTEXT)))
    worker.start()
    asked = 0
    while worker.is_alive() or not asked:
        assert cues.propose_near(doc, state, CONTEXT, *span) == near
        asked += 1
    worker.join()
    assert answers == [whole]
