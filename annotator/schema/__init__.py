"""Label schemas: the dataclasses (``model``) and their safe, strict YAML loader (``loader``)."""

from annotator.schema.loader import (
    bundled_schema_names,
    bundled_schema_path,
    default_schema_path,
    load_schema,
    load_schema_text,
    resolve_schema_path,
)
from annotator.schema.model import Attribute, AttributeChoice, ClaimSpec, EntityLabel, Schema

__all__ = [
    "Attribute",
    "AttributeChoice",
    "ClaimSpec",
    "EntityLabel",
    "Schema",
    "bundled_schema_names",
    "bundled_schema_path",
    "default_schema_path",
    "load_schema",
    "load_schema_text",
    "resolve_schema_path",
]
