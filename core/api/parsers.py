from rest_framework import parsers


class JSONParser(parsers.JSONParser):
    """JSON that also reads ``NaN`` and ``Infinity`` (Python's ``json`` does; strict parsing
    refused the whole body with no field named), so that the field that holds one is refused
    with its own message: every number field of ours rejects them."""

    strict = False
