"""The shipped schemas load, and each kind of schema mistake is named with file, line and key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.errors import InputError, SchemaError
from annotator.schema import (
    Attribute,
    bundled_schema_names,
    bundled_schema_path,
    default_schema_path,
    load_schema,
    load_schema_text,
    resolve_schema_path,
)
from annotator.tui.bindings import RESERVED_HOTKEYS

WOJOOD_TYPES = ("PERS NORP OCC ORG GPE LOC FAC EVENT DATE TIME LANGUAGE WEBSITE LAW PRODUCT "
                "CARDINAL ORDINAL PERCENT QUANTITY UNIT MONEY CURR").split()

# A small valid schema; the tests below change one line and expect one named problem.
BASE = """\
name: test
version: "2"
labels:
  - key: PER
    name_en: Person
    name_ar: شخص
    color: "#ff0000"
    hotkey: "1"
  - key: ORG
    name_en: Organization
    name_ar: منظمة
    color: blue
    hotkey: "2"
claims:
  claimer_labels: [PER]
  attributes:
    - key: verdict
      kind: choice
      default: unverified
      choices:
        - {value: unverified, hotkey: u}
        - {value: "true", hotkey: t}
"""


def change(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def problems(text: str) -> list[SchemaError]:
    with pytest.raises(SchemaError) as caught:
        load_schema_text(text, "bad.yaml", reserved=RESERVED_HOTKEYS)
    err = caught.value
    return list(getattr(err, "problems", (err,)))


def only_problem(text: str) -> SchemaError:
    found = problems(text)
    assert len(found) == 1, [str(p) for p in found]
    assert found[0].path == "bad.yaml"
    return found[0]


# --- shipped schemas ---------------------------------------------------------------------

def test_base_is_valid():
    schema = load_schema_text(BASE, "base.yaml")
    assert schema.label_keys == ("PER", "ORG")
    assert schema.version == "2"
    assert schema.claims.enabled and schema.claims.hotkey == "c"
    assert schema.source_path == "base.yaml"


def test_default_schema_is_news_and_fit_for_fact_checking():
    path = default_schema_path()
    assert path.name == "news.yaml" and path.is_file()
    schema = load_schema(path)
    assert schema.name == "news" and schema.version == "1.0"
    assert schema.source_path == str(path)
    assert {"PER", "ORG", "GPE", "LOC", "FAC", "DATE", "QUANTITY", "EVENT"} <= set(schema.label_keys)
    assert schema.allow_overlap is False and schema.allow_nesting is True
    for label in schema.labels:
        assert label.name_en and label.name_ar and label.guideline
        assert any("\u0600" <= ch <= "\u06ff" for ch in label.name_ar)
        assert label.color.startswith("#") and len(label.color) == 7
        assert len(label.hotkey) == 1 and label.hotkey not in RESERVED_HOTKEYS
    assert schema.label("PER").name_ar == "شخص"
    assert len({lab.hotkey for lab in schema.labels}) == len(schema.labels)
    assert len({lab.color for lab in schema.labels}) == len(schema.labels)

    claims = schema.claims
    assert claims.enabled and claims.hotkey == "c"
    assert claims.hotkey not in {lab.hotkey for lab in schema.labels}
    assert claims.claimer_labels == ("PER", "ORG", "GPE")
    checkworthy = claims.attribute("checkworthy")
    assert checkworthy.kind == "choice" and checkworthy.required
    assert [c.value for c in checkworthy.choices] == ["yes", "no", "unsure"]
    assert all(c.hotkey for c in checkworthy.choices)
    claim_type = claims.attribute("claim_type")
    assert [c.value for c in claim_type.choices] == ["quantity", "quote", "event", "causal", "prediction", "other"]
    verdict = claims.attribute("verdict")
    assert verdict.default == "unverified" and verdict.choice("unverified") is not None
    assert claims.attribute("cue").kind == "text"
    confidence = claims.attribute("confidence")
    assert (confidence.kind, confidence.minimum, confidence.maximum, confidence.integer) == ("number", 1, 5, True)
    assert claims.attribute("needs_review").kind == "boolean"
    assert all(a.key not in ("status", "notes") for a in schema.document_attributes)


def test_wojood_schema_has_the_21_types_nested_without_claims():
    schema = load_schema(bundled_schema_path("wojood"))
    assert list(schema.label_keys) == WOJOOD_TYPES
    assert schema.allow_nesting is True
    assert schema.claims.enabled is False
    hotkeys = [lab.hotkey for lab in schema.labels]
    assert len(set(hotkeys)) == 21 and not set(hotkeys) & RESERVED_HOTKEYS
    assert all(lab.name_ar and lab.name_en for lab in schema.labels)


def test_conll_schema_is_flat_with_four_types():
    schema = load_schema(bundled_schema_path("conll"))
    assert schema.label_keys == ("PER", "LOC", "ORG", "MISC")
    assert schema.allow_nesting is False and schema.allow_overlap is False
    assert schema.claims.enabled is False


def test_bundled_names_and_resolution(tmp_path: Path):
    assert {"news", "wojood", "conll"} <= set(bundled_schema_names())
    assert resolve_schema_path("wojood") == bundled_schema_path("wojood")
    own = tmp_path / "mine.yaml"
    own.write_text(BASE, encoding="utf-8")
    assert resolve_schema_path(own) == own
    with pytest.raises(SchemaError, match="no schema file or bundled schema named 'nope'"):
        resolve_schema_path("nope")


# --- reading values as written -------------------------------------------------------------

@pytest.mark.parametrize("written, expected", [("1.0", "1.0"), ("1.10", "1.10"), ("3", "3"), ('"2.0-beta"', "2.0-beta")])
def test_version_keeps_its_spelling(written, expected):
    assert load_schema_text(change('version: "2"', f"version: {written}")).version == expected


def test_yes_and_no_choice_values_stay_text():
    text = change('{value: "true", hotkey: t}', "{value: yes, hotkey: y}\n        - {value: no}")
    verdict = load_schema_text(text).claims.attribute("verdict")
    assert [c.value for c in verdict.choices] == ["unverified", "yes", "no"]


def test_colours_become_hex():
    schema = load_schema_text(change('color: "#ff0000"', 'color: "#F0a"'))
    assert schema.label("PER").color == "#ff00aa"
    assert schema.label("ORG").color.startswith("#") and len(schema.label("ORG").color) == 7


def test_claims_section_absent_means_entities_only():
    text = BASE.split("claims:")[0]
    schema = load_schema_text(text)
    assert schema.claims.enabled is False and schema.claims.attributes == ()


def test_attribute_check_helper():
    attribute = load_schema(default_schema_path()).claims.attribute("confidence")
    assert attribute.check(3) is None and attribute.check(None) is None
    assert "at most 5" in attribute.check(6)
    assert "whole number" in attribute.check(2.5)
    assert "must be a number" in Attribute("x", "number").check(True)


# --- each kind of mistake --------------------------------------------------------------------

def test_unknown_key_with_suggestion():
    err = only_problem(change("    hotkey: \"2\"", "    hotkey: \"2\"\n    colour: red"))
    assert err.line == 14 and err.key_path == "labels[1].colour"
    assert "unknown key 'colour'" in err.problem and "did you mean 'color'" in err.problem
    assert str(err).startswith("bad.yaml:14 [labels[1].colour]: unknown key")


def test_unknown_top_level_key():
    err = only_problem(change("name: test", "name: test\nlabel_set: x"))
    assert (err.line, err.key_path) == (2, "label_set")


def test_duplicate_hotkey_between_labels():
    err = only_problem(change('hotkey: "2"', 'hotkey: "1"'))
    assert (err.line, err.key_path) == (13, "labels[1].hotkey")
    assert "duplicate hotkey '1'" in err.problem and "labels[0] (PER)" in err.problem


def test_label_hotkey_clashing_with_the_claim_hotkey():
    err = only_problem(change('hotkey: "2"', "hotkey: c"))
    assert err.key_path == "claims" and "duplicate hotkey 'c'" in err.problem
    assert "labels[1] (ORG)" in err.problem


def test_reserved_and_long_hotkeys():
    err = only_problem(change('hotkey: "2"', 'hotkey: "?"'))
    assert err.key_path == "labels[1].hotkey" and "reserved" in err.problem
    err = only_problem(change('hotkey: "2"', "hotkey: ab"))
    assert "single printable character" in err.problem


def test_unknown_colour():
    err = only_problem(change("color: blue", "color: bleu"))
    assert (err.line, err.key_path) == (12, "labels[1].color")
    assert "unknown colour 'bleu'" in err.problem and "did you mean 'blue'" in err.problem


def test_claimer_must_be_an_entity_label():
    err = only_problem(change("claimer_labels: [PER]", "claimer_labels: [PER, PERS]"))
    assert (err.line, err.key_path) == (15, "claims.claimer_labels[1]")
    assert "'PERS' is not an entity label" in err.problem


@pytest.mark.parametrize("labels", ["labels: []", "labels:"])
def test_empty_label_set(labels):
    text = "name: t\nversion: '1'\n" + labels + "\n"
    err = only_problem(text)
    assert (err.line, err.key_path) == (3, "labels") and "label set is empty" in err.problem


def test_duplicate_label_key():
    err = only_problem(change("key: ORG", "key: PER"))
    assert (err.line, err.key_path) == (9, "labels[1].key") and "duplicate label key 'PER'" in err.problem


def test_bad_attribute_kind():
    err = only_problem(change("kind: choice", "kind: choise"))
    assert (err.line, err.key_path) == (18, "claims.attributes[0].kind")
    assert "unknown attribute kind 'choise'" in err.problem and "did you mean 'choice'" in err.problem


def test_bad_default():
    err = only_problem(change("default: unverified", "default: verified"))
    assert (err.line, err.key_path) == (19, "claims.attributes[0].default")
    assert "bad default" in err.problem and "unverified, true" in err.problem


def test_number_attribute_range_and_default():
    attr = ("    - {key: confidence, kind: number, minimum: 5, maximum: 1}\n")
    err = only_problem(BASE + attr)
    assert err.key_path == "claims.attributes[1].minimum" and "greater than maximum" in err.problem
    err = only_problem(BASE + "    - {key: confidence, kind: number, maximum: 5, default: 9}\n")
    assert err.key_path == "claims.attributes[1].default" and "at most 5" in err.problem


def test_choice_attribute_rules():
    found = problems(BASE + "    - {key: mood, kind: choice}\n"
                            "    - {key: flag, kind: boolean, choices: [{value: a}]}\n")
    paths = {p.key_path: p.problem for p in found}
    assert "at least one choice" in paths["claims.attributes[1].choices"]
    assert "only applies to choice attributes" in paths["claims.attributes[2].choices"]
    err = only_problem(change("{value: \"true\", hotkey: t}", "{value: unverified, hotkey: t}"))
    assert err.key_path == "claims.attributes[0].choices[1].value" and "duplicate choice value" in err.problem
    err = only_problem(change("{value: \"true\", hotkey: t}", "{value: \"true\", hotkey: u}"))
    assert err.key_path == "claims.attributes[0].choices[1].hotkey" and "duplicate hotkey 'u'" in err.problem


@pytest.mark.parametrize("missing", ["name", "version"])
def test_missing_name_or_version(missing):
    text = "\n".join(line for line in BASE.splitlines() if not line.startswith(missing + ":"))
    err = only_problem(text)
    assert (err.line, err.key_path) == (1, missing)
    assert f"missing the required key '{missing}'" in err.problem


def test_empty_version_and_boolean_version():
    assert only_problem(change('version: "2"', "version:")).problem == "must not be empty"
    assert "version must be text or a number" in only_problem(change('version: "2"', "version: true")).problem


def test_document_attribute_may_not_shadow_status():
    err = only_problem(BASE + "document_attributes:\n  - {key: status, kind: text}\n")
    assert err.key_path == "document_attributes[0].key" and "built into every document" in err.problem


def test_duplicate_yaml_key_is_reported():
    err = only_problem(change("name: test", "name: test\nname: other"))
    assert (err.line, err.key_path) == (2, "name") and "duplicate key 'name'" in err.problem


def test_all_problems_are_reported_together():
    text = change("color: blue", "color: bleu", change('hotkey: "2"', 'hotkey: "1"'))
    with pytest.raises(SchemaError) as caught:
        load_schema_text(text, "bad.yaml")
    message = str(caught.value)
    assert message.splitlines() == [
        "bad.yaml:12 [labels[1].color]: unknown colour 'bleu'; did you mean 'blue'? (use #rrggbb, #rgb or a Rich colour name)",
        "bad.yaml:13 [labels[1].hotkey]: duplicate hotkey '1': already used by labels[0] (PER)",
    ]
    assert isinstance(caught.value, InputError)


def test_missing_file_is_a_schema_error(tmp_path: Path):
    with pytest.raises(SchemaError, match="cannot read the schema file"):
        load_schema(tmp_path / "absent.yaml")


def test_the_documented_example_loads():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "schema.md").read_text(encoding="utf-8")
    example = doc.split("## Example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    schema = load_schema_text(example, "docs/schema.md")
    assert schema.name == "my-project" and schema.label_keys == ("PER", "ORG")
    assert schema.claims.attribute("verdict").default == "unverified"
    assert schema.document_attribute("topic").kind == "text"


def test_documented_reserved_keys_match_the_loader():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "schema.md").read_text(encoding="utf-8")
    section = doc.split("## Reserved hotkeys", 1)[1].split("##", 1)[0]
    for key in RESERVED_HOTKEYS - {" "}:
        assert f"`{key}`" in section, key
