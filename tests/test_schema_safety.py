"""Hostile or broken schema files are refused with a clear message, never run or hang."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.errors import SchemaError
from annotator.schema import load_schema, load_schema_text
from annotator.schema.loader import MAX_SCHEMA_BYTES

BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9)
)


def refused(text: str) -> SchemaError:
    with pytest.raises(SchemaError) as caught:
        load_schema_text(text, "evil.yaml")
    return caught.value


def refused_file(tmp_path: Path, data: bytes) -> SchemaError:
    path = tmp_path / "evil.yaml"
    path.write_bytes(data)
    with pytest.raises(SchemaError) as caught:
        load_schema(path)
    assert caught.value.path == str(path)
    return caught.value


def test_alias_bomb_is_refused():
    err = refused(BILLION_LAUGHS)
    assert "expands to more than" in err.problem and err.line is not None


def test_recursive_alias_is_refused():
    err = refused("name: &x [*x]\n")
    assert "nesting deeper than" in err.problem


def test_deep_brackets_are_refused_not_a_recursion_error():
    assert "nesting deeper than" in refused("[" * 10_000).problem


def test_python_object_tag_is_refused_and_not_run(tmp_path: Path):
    marker = tmp_path / "ran"
    text = f"name: !!python/object/apply:os.system ['touch {marker}']\nversion: '1'\nlabels: []\n"
    err = refused(text)
    assert (err.line, err.key_path) == (1, "name")
    assert "tag !!python/object/apply:os.system is not allowed" in err.problem
    assert not marker.exists()


@pytest.mark.parametrize("text, tag", [("name: !foo x\n", "!foo"), ("name: !!binary aGk=\n", "!!binary"),
                                       ("name: !!set {a: null}\n", "!!set")])
def test_other_tags_are_refused(text, tag):
    assert f"tag {tag} is not allowed" in refused(text).problem


def test_merge_keys_are_refused():
    assert "merge keys" in refused("base: &b {x: 1}\nother:\n  <<: *b\n").problem


def test_plain_aliases_still_work():
    text = """\
name: t
version: '1'
labels:
  - {key: A, name_en: a, name_ar: أ, color: red, hotkey: '1'}
claims:
  attributes:
    - {key: one, kind: choice, choices: &yes_no [{value: "yes"}, {value: "no"}]}
    - {key: two, kind: choice, choices: *yes_no}
"""
    claims = load_schema_text(text).claims
    assert [c.value for c in claims.attribute("two").choices] == ["yes", "no"]


def test_binary_file(tmp_path: Path):
    err = refused_file(tmp_path, b"name: x\n\x00\x01\x02binary")
    assert "binary" in err.problem and err.byte_offset == 8 and err.line == 2


def test_empty_file(tmp_path: Path):
    assert "empty" in refused_file(tmp_path, b"").problem
    assert "empty" in refused_file(tmp_path, b"  \n\n").problem
    assert "empty" in refused_file(tmp_path, b"# only a comment\n").problem


def test_invalid_utf8_names_the_byte_offset(tmp_path: Path):
    err = refused_file(tmp_path, b"name: ok\nversion: '1'\nlabels: [\xff]\n")
    assert "not valid UTF-8" in err.problem
    assert err.byte_offset == 31 and err.line == 3
    assert "(byte 31)" in str(err)


def test_too_large_file(tmp_path: Path):
    err = refused_file(tmp_path, b"#" * (MAX_SCHEMA_BYTES + 10))
    assert "too large" in err.problem


@pytest.mark.parametrize("text, found", [("- a\n- b\n", "a list"), ("just words\n", "'just words'"), ("~\n", "nothing")])
def test_top_level_must_be_a_mapping(text, found):
    err = refused(text)
    assert err.line == 1 and "must be a mapping" in err.problem and found in err.problem


def test_invalid_yaml_names_the_line():
    err = refused("name: t\nversion: '1'\nlabels: [a, b\nclaims: {}\n")
    assert err.problem.startswith("invalid YAML") and err.line is not None and err.line >= 3


def test_control_character_is_refused():
    err = refused("name: t\nversion: \x07\n")
    assert "U+0007" in err.problem and err.line == 2


def test_several_documents_are_refused():
    assert "single document" in refused("name: a\n---\nname: b\n").problem


def test_huge_integer_is_a_schema_error():
    text = ("name: t\nversion: '1'\nlabels:\n  - {key: A, name_en: a, name_ar: أ, color: red, hotkey: '1'}\n"
            "claims:\n  attributes:\n    - {key: n, kind: number, maximum: " + "9" * 6000 + "}\n")
    err = refused(text)
    assert err.key_path == "claims.attributes[0].maximum" and "cannot read '9999" in err.problem and "as int" in err.problem
    assert len(getattr(err, "problems", (err,))) == 1


@pytest.mark.parametrize("scalar", ["!!bool maybe", "!!int ten", "!!float x", "!!int ''"])
def test_explicitly_tagged_scalars_that_do_not_parse(scalar):
    err = refused(f"name: t\nversion: {scalar}\nlabels: [{{key: A, name_en: a, name_ar: أ, color: red, hotkey: '1'}}]\n")
    assert err.key_path == "version" and "cannot read" in err.problem
