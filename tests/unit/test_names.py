"""Names: the characters refused in them, and the key that compares providers' names."""

from __future__ import annotations

import pytest

from staywell.names import name_character_error, provider_key, similarity


@pytest.mark.parametrize(
    "name",
    ["Ames\u202e", "A\u202amés", "Ames\u2066", "Ames\u2069", "\u200eAmes", "Ames\u200f",
     "Am\x00es", "Am\x1bes", "Am\x7fes", "Am\x85es", "Am\x9fes"],
)  # fmt: skip
def test_control_and_bidirectional_characters_are_refused(name):
    assert "invisible control or text-direction character" in name_character_error(name)


@pytest.mark.parametrize("name", ["Helen Ames", "José Núñez-O'Brien", "王小明", "Zoë 🙂"])
def test_ordinary_names_in_any_script_pass(name):
    assert name_character_error(name) is None


def test_the_message_names_the_character():
    assert "(U+202E RIGHT-TO-LEFT OVERRIDE)" in name_character_error("x\u202e", "payee's name")


@pytest.mark.parametrize(
    "spelling",
    ["Dr. Helen Ames", "Dr. Helen Ames, M.D.", "HELEN AMES MD", "helen  ames, d.o.", "Helen Ames"],
)
def test_titles_credentials_case_and_punctuation_are_not_part_of_the_key(spelling):
    assert provider_key(spelling) == "helen ames"


def test_company_forms_are_not_part_of_the_key():
    assert provider_key("Mendocino Pharmacy, Inc.") == provider_key("The Mendocino Pharmacy")


def test_similarity_ignores_word_order_and_sees_a_typo():
    assert similarity("ames helen", "helen ames") == 1.0
    assert similarity("hellen ames", "helen ames") > 0.9
    assert similarity("ukiah valley medical center", "helen ames") < 0.5
