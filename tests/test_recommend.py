"""The recommenders: the registry, fitting to the schema, string-match, patterns, claim-cues, camel-ner."""

from __future__ import annotations

import dataclasses
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from annotator.errors import AnnotatorError
from annotator.model.annotations import Annotations, Document, Entity, Rejection
from annotator.recommend import base
from annotator.recommend.apply import fit_proposals
from annotator.recommend.base import Proposal, RecommendContext, Recommender, get_recommender, recommender_names
from annotator.recommend.camel_ner import CamelNer, bio_spans, find_model, load_recognizer
from annotator.recommend.claims import ClaimCues, load_cues
from annotator.recommend.learned import StringMatch
from annotator.recommend.patterns import Patterns, PatternsError, load_patterns
from annotator.store.sqlite import SQLiteStore

from conftest import shared_data


def _doc(text: str, doc_id: str = "d") -> Document:
    return Document(doc_id, text)


def _ent(text: str, word: str, label: str, eid: str, nth: int = 0, source: str | None = None) -> Entity:
    at = -1
    for _ in range(nth + 1):
        at = text.index(word, at + 1)
    return Entity(eid, at, at + len(word), label, source)


def _spans(text: str, proposals) -> list[tuple[str, str | None]]:
    return [(text[p.start:p.end], p.label) for p in proposals]


# -- the registry ----------------------------------------------------------------------


def test_builtins_are_registered_by_name():
    assert recommender_names()[:4] == ["string-match", "patterns", "claim-cues", "camel-ner"]
    for name in ("string-match", "patterns", "claim-cues", "camel-ner"):
        rec = get_recommender(name)
        assert isinstance(rec, Recommender) and rec.name == name
    assert get_recommender("string-match") is not get_recommender("string-match")  # a learner's state is its own
    with pytest.raises(AnnotatorError, match="unknown recommender 'nope'; known recommenders: .*string-match"):
        get_recommender("nope")


class Shout(Recommender):
    name = "shout"
    description = "test plug-in"

    def propose(self, document, annotations, context):
        return [Proposal("entity", 0, 3, "PER", 0.5, self.name)]


class Unfinished(Recommender):
    name = "unfinished"  # leaves propose out


@pytest.fixture
def plugins(monkeypatch):
    """Declare entry points of the ``annotator.recommenders`` group for one test: the same
    ``annotator.plugins.Registry`` that formats and stores use reads them."""
    from annotator import plugins as plugin_mod

    declared: list[EntryPoint] = []
    seen: list[str] = []

    def fake_entry_points(group):
        seen.append(group)
        return [ep for ep in declared if ep.group == group]

    monkeypatch.setattr(plugin_mod, "entry_points", fake_entry_points)
    base.registry().forget()
    yield lambda *pairs: declared.extend(EntryPoint(n, v, "annotator.recommenders") for n, v in pairs) or seen
    base.registry().forget()


def test_a_plugin_comes_from_the_entry_point_group(plugins):
    seen = plugins(("shout", f"{__name__}:Shout"), ("string-match", f"{__name__}:Shout"))  # cannot replace a built-in
    assert "shout" in recommender_names() and "annotator.recommenders" in seen
    assert get_recommender("shout").propose(_doc("abc"), Annotations("d", "a"), None)[0].source == "shout"
    assert isinstance(get_recommender("string-match"), StringMatch)
    assert Shout.kinds == frozenset({"entity"}) and not Shout.slow and not Shout.learns  # the declared defaults


@pytest.mark.parametrize(("spec", "why"), [
    ("os:path", "not a Recommender subclass"),
    (f"{__name__}:Unfinished", "does not implement propose"),
    (f"{__name__}:Shout", "not the registered name 'bad'"),
    ("no_such_module_here:Thing", "ModuleNotFoundError"),
])
def test_a_plugin_that_breaks_the_contract_is_one_clear_error(plugins, spec, why):
    plugins(("bad", spec))
    with pytest.raises(AnnotatorError, match=f"recommender plugin 'bad' .*not loaded: .*{why}"):
        get_recommender("bad")
    assert recommender_names()[:4] == ["string-match", "patterns", "claim-cues", "camel-ner"]  # built-ins unharmed


# -- fitting proposals to a document ---------------------------------------------------

TEXT = "زار الملك عبدالله عمّان ثم الأردن، وقال الملك إن الأردن بلد آمن."


def test_fit_drops_rejected_same_span_and_what_the_schema_forbids(news_schema):
    k = TEXT.index("الأردن")
    label = Entity("e1", k, k + 6, "GPE")
    state = Annotations("d", "a", entities=(label,), rejected=(Rejection("entity", 4, 9, "PER"),))
    flat = dataclasses.replace(news_schema, allow_nesting=False)
    proposals = [
        Proposal("entity", k, k + 6, "LOC", 1, "x"),  # same span as a label, another label: dropped
        Proposal("entity", 4, 9, "PER", 1, "x"),  # rejected here: dropped
        Proposal("entity", 4, 17, "PER", 1, "x"),  # kept
        Proposal("entity", 10, 17, "PER", 1, "x"),  # nested in the one before: the schema decides
        Proposal("entity", 14, 23, "PER", 1, "x"),  # crosses it: never (allow_overlap false)
        Proposal("entity", 18, 23, "NOPE", 1, "x"),  # not a schema label
        Proposal("entity", 18, 23, "GPE", 1, "x"),  # kept
    ]
    assert [(p.start, p.end) for p in fit_proposals(proposals, state, TEXT, news_schema)] == \
        [(4, 17), (10, 17), (18, 23)]
    assert [(p.start, p.end) for p in fit_proposals(proposals, state, TEXT, flat)] == [(4, 17), (18, 23)]


# -- string-match ----------------------------------------------------------------------


def test_string_match_learns_normalized_text_and_strips_proclitics(news_schema):
    teach = "زار عمّان وفدٌ من الأمم المتحدة."
    rec = StringMatch()
    rec.observe(_doc(teach, "t"), Annotations("t", "amal", entities=(
        _ent(teach, "عمّان", "GPE", "e1"), _ent(teach, "الأمم المتحدة", "ORG", "e2"))))
    text = "وصل إلى عمان وفد آخر، وقالت الامم المتحدة ان بعمّان وللأمم المتحدة مكتباً."
    got = _spans(text, rec.propose(_doc(text), Annotations("d", "amal"), RecommendContext(news_schema)))
    # harakat and hamza forms do not matter; و / ب are left out of the span; لل is ل + the article
    assert got == [("عمان", "GPE"), ("الامم المتحدة", "ORG"), ("عمّان", "GPE"), ("لأمم المتحدة", "ORG")]
    # whole tokens only: a learned word inside a longer one is not proposed
    assert rec.matches("عمانوئيل") == []
    # the article is not a proclitic: a learned رئيس is not proposed inside الرئيس or والرئيس
    rec.learn([("رئيس", "OCC")])
    assert _spans("الرئيس والرئيس ورئيس", rec.matches("الرئيس والرئيس ورئيس")) == [("رئيس", "OCC")]


def test_string_match_proposes_the_most_frequent_label_with_its_share():
    rec = StringMatch()
    rec.learn([("الأردن", "GPE"), ("الأردن", "GPE"), ("الأردن", "ORG")])
    (p,) = rec.matches("في الأردن")
    assert (p.label, p.score, p.source) == ("GPE", 0.667, "string-match")
    assert "67%" in p.reason


def test_string_match_updates_as_you_label_and_only_from_labels():
    text = "زار الصفدي عمّان"
    rec = StringMatch()
    doc = _doc(text)
    rec.observe(doc, Annotations("d", "amal", entities=(_ent(text, "الصفدي", "PER", "e1"),
                                                       _ent(text, "عمّان", "GPE", "e2", source="import:x"))))
    assert _spans(text, rec.matches(text)) == [("الصفدي", "PER")]  # a pre-annotation teaches nothing
    rec.observe(doc, Annotations("d", "amal", entities=(_ent(text, "الصفدي", "ORG", "e1"),)))  # relabelled
    assert _spans(text, rec.matches(text)) == [("الصفدي", "ORG")]
    rec.observe(doc, Annotations("d", "amal"))  # removed
    assert rec.matches(text) == []


def test_string_match_learns_from_a_store_and_only_from_the_named_annotators(tmp_path, news_schema):
    from annotator.session import AnnotationSession

    store = SQLiteStore(tmp_path / "s.db")
    text = "قال الصفدي في عمّان"
    store.add_document(Document("d1", text))
    AnnotationSession(store, news_schema, "amal").add_entity("d1", 4, 10, "PER")
    AnnotationSession(store, news_schema, "bilal").add_entity("d1", 14, 19, "GPE")
    everyone, amal = StringMatch(), StringMatch()
    everyone.prepare(store, RecommendContext(news_schema, "carla"))
    amal.prepare(store, RecommendContext(news_schema, "carla", {"learn_from": ["amal"]}))
    store.close()
    assert _spans(text, everyone.matches(text)) == [("الصفدي", "PER"), ("عمّان", "GPE")]
    assert _spans(text, amal.matches(text)) == [("الصفدي", "PER")]


# -- patterns --------------------------------------------------------------------------


def test_patterns_jsonl_phrases_and_token_patterns(tmp_path, news_schema):
    path = tmp_path / "p.jsonl"
    path.write_text('{"label": "ORG", "pattern": "الأمم المتحدة"}\n'
                    '{"label": "GPE", "pattern": [{"lower": "New"}, {"orth": "York"}], "id": "ny"}\n'
                    '{"label": "PER", "pattern": [{"TEXT": "محمد"}]}\n', encoding="utf-8")
    rec = Patterns()
    rec.prepare(None, RecommendContext(news_schema, options={"patterns": str(path)}))
    text = "قال محمد إن وللأمم المتحدة مكتباً في new York وليس في new york."
    got = rec.propose(_doc(text), Annotations("d", "a"), RecommendContext(news_schema))
    assert _spans(text, got) == [("محمد", "PER"), ("لأمم المتحدة", "ORG"), ("new York", "GPE")]
    assert got[0].reason == "p.jsonl line 3"


def test_patterns_tsv_gazetteer(tmp_path, news_schema):
    path = tmp_path / "g.tsv"
    path.write_text("text\tlabel\n# a comment\nوزارة الخارجية\tORG\n\nعمّان\tGPE\n", encoding="utf-8")
    patterns = load_patterns(path, news_schema)
    text = "أعلنت وزارة الخارجية في عمان"
    assert _spans(text, Patterns(patterns).propose(_doc(text), Annotations("d", "a"), None)) == [
        ("وزارة الخارجية", "ORG"), ("عمان", "GPE")]


@pytest.mark.parametrize("content, message", [
    ('{"label": "ORG", "pattern": "x y"}\n{"label": "ORG", "pattern": [{"pos": "NOUN"}]}\n',
     r"p\.jsonl:2: token 1: attribute 'pos' is not supported \(supported: orth, text, lower\)"),
    ('{"label": "ORG", "pattern": "الأمم"}\n{"label": "ORG"\n', r"p\.jsonl:2: not JSON"),
    ('{"pattern": "الأمم"}\n', r"p\.jsonl:1: the label is missing"),
    ('{"label": "PERSON", "pattern": "محمد"}\n', r"p\.jsonl:1: label 'PERSON' is not in schema news"),
    ('{"label": "ORG", "pattern": "الأمم", "extra": 1}\n', r"p\.jsonl:1: unknown key\(s\) 'extra'"),
])
def test_a_bad_patterns_file_names_the_file_and_line_and_nothing_is_used(tmp_path, news_schema, content, message):
    path = tmp_path / "p.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PatternsError) as info:
        load_patterns(path, news_schema)
    assert any(__import__("re").search(message, p) for p in info.value.problems), info.value.problems


def test_a_tsv_line_without_a_tab_and_a_missing_file(tmp_path, news_schema):
    path = tmp_path / "g.tsv"
    path.write_text("عمّان\tGPE\nعمّان GPE\n", encoding="utf-8")
    with pytest.raises(PatternsError, match=r"g\.tsv:2: expected text<TAB>label"):
        load_patterns(path, news_schema)
    with pytest.raises(AnnotatorError, match="no such patterns file"):
        load_patterns(tmp_path / "missing.tsv", news_schema)


# -- claim-cues ------------------------------------------------------------------------

NEWS = ("وقال وزير الخارجية أيمن الصفدي إن الأردن يرفض أي تهجير للفلسطينيين. "
        "ارتفعت الأسعار بنسبة خمسة بالمئة، بحسب البنك المركزي. "
        "وأضاف الصفدي: «لن نقبل بهذا الحل أبداً». "
        "وأكدت الحكومة دعمها الكامل للمبادرة الجديدة. "
        "ورفع المتظاهرون لافتة «لا» أمام «السفارة».")


def _news_state() -> Annotations:
    return Annotations("d", "a", entities=(
        _ent(NEWS, "أيمن الصفدي", "PER", "e1"), _ent(NEWS, "البنك المركزي", "ORG", "e2", source="recommend:x"),
        _ent(NEWS, "الصفدي", "PER", "e3", nth=1), _ent(NEWS, "الحكومة", "ORG", "e4"),
        _ent(NEWS, "الأردن", "GPE", "e5")))


def test_claim_cues_propose_clauses_quotes_and_claimers(news_schema):
    got = ClaimCues().propose(_doc(NEWS), _news_state(), RecommendContext(news_schema))
    assert [(NEWS[p.start:p.end], p.claimer) for p in got] == [
        ("الأردن يرفض أي تهجير للفلسطينيين", "e1"),  # after إن; claimer: the verb's subject
        ("ارتفعت الأسعار بنسبة خمسة بالمئة", "e2"),  # before بحسب; claimer: its source (a proposal is fine)
        ("لن نقبل بهذا الحل أبداً", "e3"),  # the quoted text
        ("دعمها الكامل للمبادرة الجديدة", "e4"),  # no complementizer: after the subject
    ]  # «لا» and «السفارة» are too short to be claims
    assert all(p.kind == "claim" and p.source == "claim-cues" for p in got)


def test_claim_cues_claimer_falls_back_to_the_nearest_mention_before(news_schema):
    text = "الرئيس ماكرون التقى الصحفيين، ثم أعلن أن فرنسا سترسل مساعدات عاجلة."
    state = Annotations("d", "a", entities=(_ent(text, "ماكرون", "PER", "e1"), _ent(text, "فرنسا", "GPE", "e2")))
    (p,) = ClaimCues().propose(_doc(text), state, RecommendContext(news_schema))
    assert text[p.start:p.end] == "فرنسا سترسل مساعدات عاجلة" and p.claimer == "e1"


def test_claim_cues_are_data_a_cue_file_changes_them(tmp_path, news_schema):
    text = "غرّد الوزير أن الاتفاق سيوقع غداً في القاهرة."
    assert ClaimCues().propose(_doc(text), Annotations("d", "a"), RecommendContext(news_schema)) == []
    cues = tmp_path / "cues.yaml"
    cues.write_text("verbs: [غرّد]\ncomplementizers: [أن]\n", encoding="utf-8")
    rec = ClaimCues()
    rec.prepare(None, RecommendContext(news_schema, options={"cues": str(cues)}))
    (p,) = rec.propose(_doc(text), Annotations("d", "a"), RecommendContext(news_schema))
    assert text[p.start:p.end] == "الاتفاق سيوقع غداً في القاهرة"
    cues.write_text("verbs: قال\n", encoding="utf-8")
    with pytest.raises(AnnotatorError, match="verbs must be a list of words"):
        load_cues(str(cues))


def test_the_bundled_cue_list_has_the_issue_cues():
    cues = load_cues()
    for word in ("قال", "أعلن", "أكد", "أضاف", "أشار", "أوضح", "ذكر", "صرّح", "نقل", "بحسب", "وفقاً لـ"):
        text = f"{word} الوزير"
        assert cues.cues.find(text), word
    assert ("«", "»") in cues.quotes and ('"', '"') in cues.quotes and ("“", "”") in cues.quotes
    assert cues.cues.find("وفقاً للوزير")  # a glued لـ


# -- camel-ner -------------------------------------------------------------------------


class FakeRecognizer:
    """Tags the tokens it knows, like NERecognizer.predict (one tag per token)."""

    TAGS = {"أيمن": "B-PERS", "الصفدي": "I-PERS", "الأردن": "B-LOC", "الأمم": "B-ORG", "المتحدة": "I-ORG",
            "الإسلام": "B-MISC"}

    def __init__(self):
        self.calls = []

    def predict(self, sentences, batch_size=32):
        self.calls.append(sentences)
        return [[self.TAGS.get(tok, "O") for tok in sent] for sent in sentences]


def test_camel_ner_maps_the_model_tags_onto_the_schema(news_schema):
    fake = FakeRecognizer()
    rec = CamelNer(fake)
    text = "قال أيمن الصفدي إن الأردن عضو في الأمم المتحدة. الإسلام دين."
    got = rec.propose(_doc(text), Annotations("d", "a"), RecommendContext(news_schema))
    assert _spans(text, got) == [("أيمن الصفدي", "PER"), ("الأردن", "GPE"), ("الأمم المتحدة", "ORG")]
    assert rec.unmapped == {"MISC": 1}  # news has no MISC: counted, not proposed
    assert len(fake.calls[0]) == 2  # one call, sentence by sentence
    assert all(p.source == "camel-ner" and 0 < p.score <= 1 for p in got)


def test_bio_spans_reads_stray_inside_tags():
    assert bio_spans(["I-ORG", "I-ORG", "O", "B-PERS", "I-LOC", "B-LOC"]) == [
        (0, 2, "ORG"), (3, 4, "PERS"), (4, 5, "LOC"), (5, 6, "LOC")]


def test_camel_ner_without_its_model_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("CAMELTOOLS_DATA", str(tmp_path))
    assert find_model() is None
    with pytest.raises(base.RecommenderUnavailable, match=r"camel_data -i ner-arabert"):
        load_recognizer()
    with pytest.raises(base.RecommenderUnavailable, match="not a camel-tools NER model folder"):
        load_recognizer(str(tmp_path))
    assert "camel_tools.ner" not in sys.modules  # nothing tried to download a catalogue


def test_camel_ner_real_model(news_schema):
    path = find_model()
    if path is None:
        pytest.skip("the camel-tools NER model is not installed (camel_data -i ner-arabert)")
    rec = CamelNer()
    rec.prepare(None, RecommendContext(news_schema))
    text = "قال وزير الخارجية الأردني أيمن الصفدي إن عمان ترفض القرار."
    got = rec.propose(_doc(text), Annotations("d", "a"), RecommendContext(news_schema))
    assert any(text[p.start:p.end].endswith("الصفدي") and p.label == "PER" for p in got), got


# -- the benchmark on real data --------------------------------------------------------


@pytest.mark.shared
def test_bench_string_match_on_anercorp_and_wojood_halves():
    data = shared_data()
    bench_dir = Path(__file__).resolve().parents[1] / "bench"
    sys.path.insert(0, str(bench_dir))
    try:
        import bench_recommend
    finally:
        sys.path.remove(str(bench_dir))
    for name, files in bench_recommend.CORPORA.items():
        result = bench_recommend.evaluate(bench_recommend.read_corpus(data, files))
        overall = result["overall"]
        assert result["learned_keys"] > 50, name
        assert overall["precision"] > 0.5 and overall["recall"] > 0.1, (name, overall)


def test_the_token_scan_sees_every_sequence_whole_and_holds_a_bounded_buffer():
    """``learned.scan_tokens`` (string-match's and patterns' one buffer): each token with a form in
    order, with the ``reach`` tokens from it read whole, the tokens behind it dropped as it goes."""
    from annotator.recommend.learned import scan_tokens
    from annotator.text.tokens import tokenize

    text = "قال الوزير \u200f إن الحكومة ستعمل. " * 3000
    kept = [t for t in tokenize(text) if t.text != "\u200f"]
    seen, longest_buffer = [], 0
    for tokens, forms, places in scan_tokens(text, 3, lambda t: None if t.text == "\u200f" else t.text):
        for i in places:
            at = len(seen)
            assert tokens[i:i + 3] == kept[at:at + 3] and forms[i:i + 3] == [t.text for t in kept[at:at + 3]]
            seen.append(tokens[i])
        longest_buffer = max(longest_buffer, len(tokens))
    assert seen == kept and longest_buffer < len(kept) / 2
