from membership.validators import resident_id_check_char


def resident_id(birth: str = "19900517", area: str = "110105", order: str = "123") -> str:
    """A valid mainland resident ID number with the given birth date."""
    first17 = f"{area}{birth}{order}"
    return first17 + resident_id_check_char(first17)
