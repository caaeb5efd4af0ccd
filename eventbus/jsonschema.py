"""JSON Schema (draft 2020-12) of a protobuf message, following the proto3 JSON mapping."""

from __future__ import annotations

from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor

DIALECT = "https://json-schema.org/draft/2020-12/schema"
_INT64 = {"type": "string", "pattern": "^-?[0-9]+$", "description": "64-bit integer as string"}
_SCALARS: dict[int, dict[str, Any]] = {
    FieldDescriptor.TYPE_STRING: {"type": "string"},
    FieldDescriptor.TYPE_BOOL: {"type": "boolean"},
    FieldDescriptor.TYPE_BYTES: {"type": "string", "contentEncoding": "base64"},
    FieldDescriptor.TYPE_DOUBLE: {"type": "number"},
    FieldDescriptor.TYPE_FLOAT: {"type": "number"},
    FieldDescriptor.TYPE_INT32: {"type": "integer"},
    FieldDescriptor.TYPE_SINT32: {"type": "integer"},
    FieldDescriptor.TYPE_SFIXED32: {"type": "integer"},
    FieldDescriptor.TYPE_UINT32: {"type": "integer", "minimum": 0},
    FieldDescriptor.TYPE_FIXED32: {"type": "integer", "minimum": 0},
    FieldDescriptor.TYPE_INT64: _INT64,
    FieldDescriptor.TYPE_SINT64: _INT64,
    FieldDescriptor.TYPE_SFIXED64: _INT64,
    FieldDescriptor.TYPE_UINT64: _INT64,
    FieldDescriptor.TYPE_FIXED64: _INT64,
}
# Well-known types have a special JSON form in the proto3 mapping.
_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?s$"},
    "google.protobuf.FieldMask": {"type": "string"},
    "google.protobuf.Struct": {"type": "object"},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array"},
    "google.protobuf.Empty": {"type": "object"},
    "google.protobuf.Any": {"type": "object", "required": ["@type"]},
    "google.protobuf.StringValue": {"type": ["string", "null"]},
    "google.protobuf.BoolValue": {"type": ["boolean", "null"]},
    "google.protobuf.DoubleValue": {"type": ["number", "null"]},
    "google.protobuf.FloatValue": {"type": ["number", "null"]},
    "google.protobuf.Int32Value": {"type": ["integer", "null"]},
    "google.protobuf.UInt32Value": {"type": ["integer", "null"]},
    "google.protobuf.Int64Value": {"type": ["string", "null"]},
    "google.protobuf.UInt64Value": {"type": ["string", "null"]},
    "google.protobuf.BytesValue": {"type": ["string", "null"], "contentEncoding": "base64"},
}


def message_schema(descriptor: Descriptor, schema_id: str) -> dict[str, Any]:
    """A self-contained schema: the message itself plus $defs for every nested message."""
    defs: dict[str, dict[str, Any]] = {}
    root = _object(descriptor, defs)
    return {
        "$schema": DIALECT,
        "$id": schema_id,
        "title": descriptor.full_name,
        **root,
        **({"$defs": dict(sorted(defs.items()))} if defs else {}),
    }


def _object(descriptor: Descriptor, defs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    properties = {f.json_name: _field(f, defs) for f in descriptor.fields}
    oneofs = [
        sorted(f.json_name for f in o.fields)
        for o in descriptor.oneofs
        if not o.name.startswith("_")  # proto3 `optional` is a synthetic oneof, not a choice
    ]
    out: dict[str, Any] = {
        "type": "object",
        "properties": dict(sorted(properties.items())),
        # Forward compatibility: consumers ignore fields they do not know (PRD §9.11).
        "additionalProperties": True,
    }
    if oneofs:
        out["x-oneof-groups"] = oneofs
    return out


def _field(field: FieldDescriptor, defs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    message = field.message_type
    if message is not None and message.GetOptions().map_entry:
        value = _single(message.fields_by_name["value"], defs)
        return {"type": "object", "additionalProperties": value}
    single = _single(field, defs)
    return {"type": "array", "items": single} if field.is_repeated else single


def _single(field: FieldDescriptor, defs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    if field.enum_type is not None:
        return _enum(field.enum_type)
    message = field.message_type
    if message is None:
        return dict(_SCALARS[field.type])
    if message.full_name in _WELL_KNOWN:
        return dict(_WELL_KNOWN[message.full_name])
    if message.full_name not in defs:
        defs[message.full_name] = {}  # placeholder first: recursive messages terminate
        defs[message.full_name] = {"title": message.full_name, **_object(message, defs)}
    return {"$ref": f"#/$defs/{message.full_name}"}


def _enum(enum: EnumDescriptor) -> dict[str, Any]:
    # The proto3 JSON form is the value name; integers are accepted on input too.
    return {"type": "string", "enum": [v.name for v in enum.values]}
