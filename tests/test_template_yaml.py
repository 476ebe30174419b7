"""pipelines.deploy.template_yaml: the Parameters reader is exact YAML for what it accepts (compared with cfn-lint's and
PyYAML's decoding) and refuses the rest with a line number."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.core.errors import ConfigError
from pipelines.deploy.template_yaml import read_parameters_block

TEMPLATE = Path(__file__).resolve().parents[1] / "model-monitor-template.yml"


@pytest.mark.slow
def test_reader_gives_exactly_what_cfn_lint_decodes_from_the_template():
    import cfnlint.decode

    decoded, matches = cfnlint.decode.decode(str(TEMPLATE))
    assert matches == []
    full = {name: {k: (list(v) if isinstance(v, list) else v) for k, v in spec.items()}
            for name, spec in decoded["Parameters"].items()}
    assert read_parameters_block(TEMPLATE.read_text()) == full


def test_reader_rejects_yaml_it_does_not_understand():
    with pytest.raises(ConfigError) as exc:
        read_parameters_block("Parameters:\n  A:\n    Type: String\n   - odd\n", "t.yml")
    assert str(exc.value) == ("t.yml line 4: cannot read this Parameters line; keep the section to 'Name:' mappings "
                              "of scalars, flow lists and '>-' text")


ACCEPTED = [
    'Default: "yes"  # stays on',
    "Default: 'it''s'  # single-quoted, '' is a quote",
    "Default: yes-please  # a plain string that is not a YAML 1.1 word",
    "Default: cron(0 * ? * * *)   # trailing comment after a plain scalar",
    "Default: a#b",
    'Default: "caf\\u00e9 \\x41 \\t tab \\" quote \\\\ backslash"',
    "Default: Überwachung ≤ 63 Zeichen",
    'Default: "Überwachung"',
    "Default: 1800",
    "Default: 0.05",
    "Default: -1",
    "Default: ^(|-PT[0-9]+H)$",
    "Default: -PT1H",
    'Default: ""  # empty',
    "AllowedValues: [yes-a, 'b', \"c d\"]  # flow list",
    "AllowedValues: []",
    'Default: "a\tb"',
    "Description: >-\n      first line\n      second line\n\n      after a blank line",
    "Description: |-\n      literal\n      lines",
    "Description: >\n      folded with a final newline",
    "Description: >-  # comment on the indicator line\n      text # not a comment inside a block",
]


@pytest.mark.parametrize("attribute", ACCEPTED)
def test_the_reader_gives_what_yaml_gives_for_every_form_it_accepts(attribute):
    import yaml

    text = "Parameters:\n  P:\n    Type: String\n    " + attribute + "\nResources: {}\n"
    assert read_parameters_block(text) == yaml.safe_load(text)["Parameters"]


REFUSED = [
    ("Default: yes", "YAML reads the unquoted value yes as something other than this text; write it in quotes: \"yes\""),
    ("Default: Off", "YAML reads the unquoted value Off as something other than this text; write it in quotes: \"Off\""),
    ("Default: null", "YAML reads the unquoted value null as something other than this text; write it in quotes: "
                      "\"null\""),
    ("Default: 1_0", "YAML reads the unquoted value 1_0 as something other than this text; write it in quotes: "
                     "\"1_0\""),
    ("Default: 0123", "YAML reads the unquoted value 0123 as something other than this text; write it in quotes: "
                      "\"0123\""),
    ("Default: 1e3", "YAML reads the unquoted value 1e3 as something other than this text; write it in quotes: "
                     "\"1e3\""),
    ("Default: .inf", "YAML reads the unquoted value .inf as something other than this text; write it in quotes: "
                      "\".inf\""),
    ("Default: 2026-11-28", "YAML reads the unquoted value 2026-11-28 as something other than this text; write it in "
                            "quotes: \"2026-11-28\""),
    ("Default:\tx", "a tab character outside quotes; YAML allows only spaces there, replace it with spaces"),
    ("Default: a\tb", "a tab character outside quotes; YAML allows only spaces there, replace it with spaces"),
    ('Default: "yes" trailing', "unexpected text after the value: 'trailing'"),
    ('Default: "open', "a double-quoted string must end on its line"),
    ('Default: "\\q"', "unknown escape '\\q' in a double-quoted string"),
    ("Default: a: b", "'a: b' is not a plain YAML string this reader accepts; write it in quotes"),
    ("Default: !Ref X", "'!Ref X' is not a plain YAML string this reader accepts; write it in quotes"),
    ("Default:", "'Default' has no value; write Default: \"\" for an empty string"),
    ("Type: Number\n    Type: String", "'Type' appears twice in this parameter; keep one"),
]


@pytest.mark.parametrize(("attribute", "message"), REFUSED, ids=[a for a, _ in REFUSED])
def test_the_reader_refuses_yaml_it_cannot_read_exactly_with_the_line_number(attribute, message):
    text = "Parameters:\n  P:\n    " + attribute.replace("Type: Number\n    ", "Type: Number\n    ") + "\n"
    line = 3 + attribute.count("\n")
    with pytest.raises(ConfigError) as exc:
        read_parameters_block(text, "t.yml")
    assert str(exc.value) == f"t.yml line {line}: {message}"


def test_a_tab_in_the_indentation_is_refused_with_its_line_number():
    with pytest.raises(ConfigError) as exc:
        read_parameters_block("Parameters:\n  P:\n\tType: String\n", "t.yml")
    assert str(exc.value) == ("t.yml line 3: a tab character outside quotes; YAML allows only spaces there, "
                              "replace it with spaces")


def test_a_parameter_declared_twice_is_refused():
    with pytest.raises(ConfigError) as exc:
        read_parameters_block("Parameters:\n  P:\n    Type: String\n  P:\n    Type: Number\n", "t.yml")
    assert str(exc.value) == "t.yml line 4: parameter 'P' appears twice; keep one"


@pytest.mark.parametrize(("char", "shown"), [("\x0c", "'\\x0c'"), ("\x1b", "'\\x1b'"), ("\u2028", "'\\u2028'"),
                                             ("\x85", "'\\x85'")])
def test_a_character_yaml_forbids_or_reads_as_a_line_break_is_refused_with_its_line(char, shown):
    with pytest.raises(ConfigError) as exc:
        read_parameters_block(f"Parameters:\n  P:\n    Description: a{char}b\n", "t.yml")
    assert str(exc.value) == f"t.yml line 3: the character {shown} is not allowed in YAML; remove it"
