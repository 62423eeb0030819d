"""The strict JSON schemas structured outputs send, and the pieces built from them.

Each expected schema is written by hand from the rules of strict mode (every object schema
forbids other keys and requires all its properties; an ``allOf`` of one is that one; no null
defaults; a ``$ref`` with siblings is replaced by what it points to), applied to the schema
pydantic 2 writes for the type (or to the dict given)."""

from __future__ import annotations

import copy
import enum
import json
from dataclasses import dataclass
from typing import Any, List, Literal, Optional, Union

import pydantic
import pytest
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

import openaistream
from openaistream.structured import parse_json, strict_json_schema

NULLABLE_TEXT = {"anyOf": [{"type": "string"}, {"type": "null"}]}


class Color(str, enum.Enum):
    RED = "red"
    GREEN = "green"


class Address(BaseModel):
    street: str
    city: Optional[str] = None


class Person(BaseModel):
    """Someone to write to."""

    name: str = Field(description="full name")
    nickname: Optional[str] = None
    home: Address
    work: Optional[Address] = None
    office: Address = Field(description="where they work")
    tags: List[str]
    favourite: Color
    size: Literal["S", "M", "L"]


ADDRESS = {
    "title": "Address",
    "type": "object",
    "properties": {
        "street": {"title": "Street", "type": "string"},
        "city": {"title": "City", **NULLABLE_TEXT},
    },
    "required": ["street", "city"],
    "additionalProperties": False,
}

PERSON = {
    "title": "Person",
    "description": "Someone to write to.",
    "type": "object",
    "$defs": {
        "Address": ADDRESS,
        "Color": {"title": "Color", "type": "string", "enum": ["red", "green"]},
    },
    "properties": {
        "name": {"title": "Name", "type": "string", "description": "full name"},
        "nickname": {"title": "Nickname", **NULLABLE_TEXT},
        "home": {"$ref": "#/$defs/Address"},
        "work": {"anyOf": [{"$ref": "#/$defs/Address"}, {"type": "null"}]},
        # A $ref beside a description: the API takes neither, so it is inlined.
        "office": {**ADDRESS, "description": "where they work"},
        "tags": {"title": "Tags", "type": "array", "items": {"type": "string"}},
        "favourite": {"$ref": "#/$defs/Color"},
        "size": {"title": "Size", "type": "string", "enum": ["S", "M", "L"]},
    },
    "required": ["name", "nickname", "home", "work", "office", "tags", "favourite", "size"],
    "additionalProperties": False,
}


def test_a_model_with_nested_and_optional_fields_enums_and_literals() -> None:
    assert strict_json_schema(Person) == PERSON


class Cat(BaseModel):
    meows: bool


class Dog(BaseModel):
    barks: bool


class Pet(BaseModel):
    pet: Union[Cat, Dog]
    count: Union[int, str] = 1


def test_a_union_of_models_and_of_scalars() -> None:
    def animal(name: str, field: str) -> dict[str, Any]:
        return {
            "title": name,
            "type": "object",
            "properties": {field: {"title": field.capitalize(), "type": "boolean"}},
            "required": [field],
            "additionalProperties": False,
        }

    assert strict_json_schema(Pet) == {
        "title": "Pet",
        "type": "object",
        "$defs": {"Cat": animal("Cat", "meows"), "Dog": animal("Dog", "barks")},
        "properties": {
            "pet": {"title": "Pet", "anyOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}]},
            # A default that is not null stays: only null defaults are dropped.
            "count": {
                "title": "Count",
                "anyOf": [{"type": "integer"}, {"type": "string"}],
                "default": 1,
            },
        },
        "required": ["pet", "count"],
        "additionalProperties": False,
    }


class Node(BaseModel):
    value: int
    children: List[Node]


def test_a_recursive_model_keeps_its_ref_and_its_root_is_inlined() -> None:
    node = {
        "title": "Node",
        "type": "object",
        "properties": {
            "value": {"title": "Value", "type": "integer"},
            "children": {"title": "Children", "type": "array", "items": {"$ref": "#/$defs/Node"}},
        },
        "required": ["value", "children"],
        "additionalProperties": False,
    }
    # pydantic writes the root as {"$defs": ..., "$ref": "#/$defs/Node"}: a $ref with a
    # sibling, which the API refuses, so the root becomes the object it points to.
    assert strict_json_schema(Node) == {**node, "$defs": {"Node": node}}


@dataclass
class Point:
    x: int
    y: float = 0.0


class Movie(TypedDict, total=False):
    title: str
    year: int


def test_a_dataclass_and_a_typed_dict() -> None:
    assert strict_json_schema(Point) == {
        "title": "Point",
        "type": "object",
        "properties": {
            "x": {"title": "X", "type": "integer"},
            "y": {"title": "Y", "type": "number", "default": 0.0},
        },
        "required": ["x", "y"],
        "additionalProperties": False,
    }
    assert strict_json_schema(Movie) == {
        "title": "Movie",
        "type": "object",
        "properties": {
            "title": {"title": "Title", "type": "string"},
            "year": {"title": "Year", "type": "integer"},
        },
        "required": ["title", "year"],
        "additionalProperties": False,
    }


TAG = {"type": "object", "properties": {"label": {"type": "string"}}}
SCHEMA = {
    "type": "object",
    "definitions": {"tag": TAG},
    "properties": {
        "tags": {"type": "array", "items": {"$ref": "#/definitions/tag"}},
        "main": {"$ref": "#/definitions/tag", "description": "the main tag"},
        "pair": {
            "type": "array",
            "prefixItems": [
                {"type": "object", "properties": {"a": {"type": "integer"}}},
                {"type": "string"},
            ],
        },
        "note": {
            "allOf": [{"type": "object", "properties": {"text": {"type": "string"}}}],
            "default": None,
        },
        "either": {
            "anyOf": [{"type": "object", "properties": {"n": {"type": "number"}}}, {"type": "null"}]
        },
        "maybe": {"type": ["object", "null"], "properties": {"x": {"type": "string"}}},
        "open": {"type": "object", "additionalProperties": True},
    },
    "required": ["tags"],
}


def strict_object(properties: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
        **more,
    }


def test_a_schema_dict_is_made_strict_and_left_unchanged() -> None:
    given = copy.deepcopy(SCHEMA)
    strict = strict_json_schema(given)

    assert given == SCHEMA  # the caller's dict, nested parts included, is not touched
    tag = strict_object({"label": {"type": "string"}})
    assert strict == {
        "type": "object",
        "definitions": {"tag": tag},
        "properties": {
            "tags": {"type": "array", "items": {"$ref": "#/definitions/tag"}},
            "main": {**tag, "description": "the main tag"},
            "pair": {
                "type": "array",
                "prefixItems": [strict_object({"a": {"type": "integer"}}), {"type": "string"}],
            },
            "note": strict_object({"text": {"type": "string"}}),
            "either": {"anyOf": [strict_object({"n": {"type": "number"}}), {"type": "null"}]},
            "maybe": {**strict_object({"x": {"type": "string"}}), "type": ["object", "null"]},
            # What a schema says of additionalProperties stays (the API will say no).
            "open": {"type": "object", "additionalProperties": True},
        },
        "required": ["tags", "main", "pair", "note", "either", "maybe", "open"],
        "additionalProperties": False,
    }
    assert strict_json_schema(strict) == strict  # strict already: nothing more to do
    # Nothing in the result is shared with the input or between inlined copies.
    strict["properties"]["main"]["properties"]["label"]["type"] = "integer"
    assert strict["definitions"]["tag"]["properties"]["label"] == {"type": "string"}


def test_a_ref_that_points_nowhere_or_elsewhere_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="points to nothing"):
        strict_json_schema({"$ref": "#/$defs/Missing", "description": "x"})
    with pytest.raises(ValueError, match="only local"):
        strict_json_schema({"$ref": "https://example.com/s.json", "description": "x"})
    with pytest.raises(TypeError, match="properties/a"):
        strict_json_schema({"type": "object", "properties": {"a": "string"}})


@pytest.mark.parametrize("bad", ['{"type": "object"}', 3, None, [Address]])
def test_what_is_neither_a_schema_nor_a_type_is_refused_by_name(bad: Any) -> None:
    with pytest.raises(TypeError, match="type_or_schema must be a JSON schema dict or a type"):
        openaistream.response_format(bad)


def test_a_type_pydantic_cannot_describe_is_refused_before_any_request() -> None:
    class Opaque:
        pass

    with pytest.raises(TypeError, match="pydantic cannot describe"):
        openaistream.function_tool(Opaque)


def test_the_chat_and_responses_formats() -> None:
    assert openaistream.response_format(Address) == {
        "type": "json_schema",
        "json_schema": {"name": "Address", "schema": ADDRESS, "strict": True},
    }
    assert openaistream.text_format(Address, name="where") == {
        "type": "json_schema",
        "name": "where",
        "schema": ADDRESS,
        "strict": True,
    }
    # A schema dict is named by its title, else "response"; a name the API refuses is fixed.
    assert openaistream.response_format(TAG)["json_schema"]["name"] == "response"
    titled = {**TAG, "title": "A tag: the label"}
    assert openaistream.response_format(titled)["json_schema"]["name"] == "A_tag__the_label"
    with pytest.raises(ValueError, match="name must be 1 to 64"):
        openaistream.text_format(Address, name="no spaces")
    # Plain JSON to every encoder.
    assert json.loads(json.dumps(openaistream.response_format(Address))) == {
        "type": "json_schema",
        "json_schema": {"name": "Address", "schema": ADDRESS, "strict": True},
    }


def test_a_function_tool_is_strict_and_named_and_described_by_its_type() -> None:
    assert openaistream.function_tool(Person) == {
        "type": "function",
        "function": {
            "name": "Person",
            "description": "Someone to write to.",
            "parameters": PERSON,
            "strict": True,
        },
    }
    tool = openaistream.function_tool(TAG, name="tag", description="Tag it")
    assert tool == {
        "type": "function",
        "function": {
            "name": "tag",
            "description": "Tag it",
            "parameters": strict_object({"label": {"type": "string"}}),
            "strict": True,
        },
    }
    with pytest.raises(ValueError, match="name is required"):
        openaistream.function_tool(TAG)


def test_parsing_reads_json_into_the_type_or_as_json() -> None:
    text = '{"street": "1 Main St", "city": null}'
    assert parse_json(text, Address) == Address(street="1 Main St", city=None)
    assert parse_json('{"x": 2, "y": 1.5}', Point) == Point(2, 1.5)
    assert parse_json(text, {"type": "object"}) == {"street": "1 Main St", "city": None}
    with pytest.raises(pydantic.ValidationError):
        parse_json('{"street": 5}', Address)
    with pytest.raises(ValueError):
        parse_json("{not json", {"type": "object"})
