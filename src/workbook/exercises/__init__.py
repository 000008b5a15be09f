"""The exercise catalogue: shipped and custom templates, and validation of answers to them."""
from __future__ import annotations

from .answers import validate_answers
from .catalogue import Catalogue, load_catalogue, load_exercise_file
from .model import (
    EXERCISE_KINDS,
    MAX_TEXT_LENGTH,
    PROMPT_TYPES,
    Exercise,
    ExerciseKind,
    Prompt,
    PromptType,
    exercise_from_dict,
)

__all__ = [
    "EXERCISE_KINDS",
    "MAX_TEXT_LENGTH",
    "PROMPT_TYPES",
    "Catalogue",
    "Exercise",
    "ExerciseKind",
    "Prompt",
    "PromptType",
    "exercise_from_dict",
    "load_catalogue",
    "load_exercise_file",
    "validate_answers",
]
