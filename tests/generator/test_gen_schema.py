"""spec/schema.json comes from the validator's key table and accepts the examples."""

import json

import jsonschema
import pytest
import yaml

from vanity_testlib import REPO
from generator import keys

SCHEMA = REPO / "spec/schema.json"
SPECS = sorted(REPO.glob("examples/*/*.yaml")) + [REPO / "tests/system/faults/faults.yaml"]


def _schema():
    return json.loads(SCHEMA.read_text())


def test_schema_file_is_generated_from_the_key_table():
    assert SCHEMA.read_text() == keys.schema_text(), \
        "run: /usr/bin/python3 -m generator.keys > spec/schema.json"


def test_schema_is_valid_draft7():
    jsonschema.Draft7Validator.check_schema(_schema())


def _schema_keys(schema):
    defs = schema["definitions"]
    found = {"spec": set(schema["properties"])}
    found.update({name: set(d["properties"]) for name, d in defs.items()})
    return found


def test_schema_keys_equal_validator_keys():
    assert _schema_keys(_schema()) == {o.label: set(o.keys) for o in keys.OBJECTS}


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_examples_match_schema(spec):
    jsonschema.validate(yaml.safe_load(spec.read_text()), _schema(),
                        cls=jsonschema.Draft7Validator)


def test_schema_rejects_an_unknown_key():
    bad = {"vanity": 1, "system": "x", "shards": [{"name": "a", "sources": [], "dpeth": 1}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, _schema(), cls=jsonschema.Draft7Validator)
