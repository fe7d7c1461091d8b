import datetime

import pytest
from django.core.exceptions import ValidationError

from membership.validators import (
    luhn_check_digit,
    luhn_valid,
    validate_id_number,
    validate_resident_id,
)

from .helpers import resident_id


def test_it_accepts_a_published_sample_resident_id():
    # The worked example of GB 11643-1999.
    assert validate_resident_id("11010519491231002X") == "11010519491231002X"


def test_it_normalises_a_lower_case_x_and_spaces():
    assert validate_resident_id("110105 19491231 002x") == "11010519491231002X"


@pytest.mark.parametrize("birth", ["19900517", "20000229", "19000101"])
def test_it_accepts_real_birth_dates(birth):
    assert validate_resident_id(resident_id(birth=birth))


def test_it_rejects_a_wrong_check_digit():
    good = resident_id()
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(ValidationError) as error:
        validate_resident_id(wrong)
    assert error.value.code == "id_checksum"


@pytest.mark.parametrize("birth", ["19901332", "19990229", "18991231", "20991231"])
def test_it_rejects_an_impossible_or_future_birth_date(birth):
    with pytest.raises(ValidationError) as error:
        validate_resident_id(resident_id(birth=birth), today=datetime.date(2026, 1, 1))
    assert error.value.code == "id_birth_date"


@pytest.mark.parametrize("value", ["12345", "1101051949123100XX", "A1010519491231002X"])
def test_it_rejects_a_malformed_number(value):
    with pytest.raises(ValidationError) as error:
        validate_resident_id(value)
    assert error.value.code == "id_format"


def test_passports_and_other_documents_are_accepted_without_the_checksum():
    assert validate_id_number("passport", "e1234 5678") == "E12345678"
    assert validate_id_number("other", "HK-A123456") == "HKA123456"
    with pytest.raises(ValidationError):
        validate_id_number("passport", "E1")


def test_the_luhn_check_digit_matches_the_textbook_example():
    assert luhn_check_digit("7992739871") == "3"
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
