"""A small JSON Schema checker for model output: the subset pydantic emits, with readable errors.

Covers ``$ref``/``$defs``, ``type`` (also lists), ``enum``, ``const``, ``properties``, ``required``,
``additionalProperties``, ``items``, ``minItems``/``maxItems``, numeric bounds, string length and
``pattern``, ``anyOf``/``oneOf``/``allOf``. Unknown keywords are ignored, as the standard says.
"""

from __future__ import annotations

import re
from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,),
    "integer": (int,), "number": (int, float), "null": (type(None),),
}
MAX_ERRORS = 5


def _is(value: Any, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    if name == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES.get(name, (object,)))


def _resolve(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $ref is supported, not {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _check(value: Any, schema: dict[str, Any], root: dict[str, Any], path: str, errors: list[str]) -> None:
    if schema is False:
        errors.append(f"{path}: no value is allowed here")
        return
    if len(errors) >= MAX_ERRORS or schema is True or not schema:
        return
    if "$ref" in schema:
        _check(value, _resolve(schema["$ref"], root), root, path, errors)
    for sub in schema.get("allOf", []):
        _check(value, sub, root, path, errors)
    for key in ("anyOf", "oneOf"):
        if key in schema and not any(not validate(value, s, root) for s in schema[key]):
            errors.append(f"{path}: matches none of the allowed forms")
            return
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: must be {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} is not one of {schema['enum']!r}")
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is(value, n) for n in names):
            errors.append(f"{path}: expected {' or '.join(names)}, got {type(value).__name__}")
            return
    if isinstance(value, dict):
        _check_object(value, schema, root, path, errors)
    elif isinstance(value, list):
        _check_array(value, schema, root, path, errors)
    elif isinstance(value, str):
        _check_string(value, schema, path, errors)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        _check_number(value, schema, path, errors)


def _check_object(value: dict[str, Any], schema: dict[str, Any], root: dict[str, Any], path: str,
                  errors: list[str]) -> None:
    props = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in value:
            errors.append(f"{path}: missing required key {name!r}")
    extra = schema.get("additionalProperties", True)
    for k, v in value.items():
        if k in props:
            _check(v, props[k], root, f"{path}.{k}", errors)
        elif extra is False:
            errors.append(f"{path}: unexpected key {k!r}")
        elif isinstance(extra, dict):
            _check(v, extra, root, f"{path}.{k}", errors)


def _check_array(value: list[Any], schema: dict[str, Any], root: dict[str, Any], path: str,
                 errors: list[str]) -> None:
    if "minItems" in schema and len(value) < schema["minItems"]:
        errors.append(f"{path}: needs at least {schema['minItems']} item(s)")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        errors.append(f"{path}: allows at most {schema['maxItems']} item(s)")
    items = schema.get("items")
    if isinstance(items, dict):
        for i, v in enumerate(value):
            _check(v, items, root, f"{path}[{i}]", errors)


def _check_string(value: str, schema: dict[str, Any], path: str, errors: list[str]) -> None:
    if "minLength" in schema and len(value) < schema["minLength"]:
        errors.append(f"{path}: shorter than {schema['minLength']} characters")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        errors.append(f"{path}: longer than {schema['maxLength']} characters")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        errors.append(f"{path}: does not match {schema['pattern']!r}")


def _check_number(value: float, schema: dict[str, Any], path: str, errors: list[str]) -> None:
    if "minimum" in schema and value < schema["minimum"]:
        errors.append(f"{path}: below the minimum {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        errors.append(f"{path}: above the maximum {schema['maximum']}")
    if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
        errors.append(f"{path}: must be above {schema['exclusiveMinimum']}")
    if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
        errors.append(f"{path}: must be below {schema['exclusiveMaximum']}")


def validate(value: Any, schema: dict[str, Any], root: dict[str, Any] | None = None) -> list[str]:
    """Every way ``value`` breaks ``schema`` (at most a few), as ``$.path: reason``; empty when it fits."""
    errors: list[str] = []
    _check(value, schema, root if root is not None else schema, "$", errors)
    return errors
