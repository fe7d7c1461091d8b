"""Money and the bounds of every amount, quantity and points figure, in one place.

Money is ``Decimal`` with ``DECIMAL_PLACES`` places (``numeric(12, 2)`` columns, the tenant's
currency beside it); never a float. The bounds are what the API, the forms and the actions
accept, chosen well inside the columns so that no sum of accepted values reaches a database
limit (an ``integer out of range`` or a numeric overflow would be a 500): a purchase line of at
most ``MAX_AMOUNT``, at most ``MAX_LINES`` lines, so a bill stays below 10^10; points of one
posting at most ``MAX_POINTS`` (accounts are 32-bit integers: 2,147,483,647).
"""

from decimal import Decimal

MAX_DIGITS = 12
DECIMAL_PLACES = 2
CENT = Decimal("0.01")

MAX_AMOUNT = Decimal("99999999.99")  # one line, one refund, one payment: under 100 million
MAX_LINES = 50  # lines of one purchase
MAX_QUANTITY = 99_999  # items of one purchase line
MAX_POINTS = 100_000_000  # one posting (earn, award, adjustment, compensation, redemption)
MAX_BALANCE = 2_000_000_000  # one account's balance or debt, below the 32-bit column's limit

MONEY = {"max_digits": MAX_DIGITS, "decimal_places": DECIMAL_PLACES}  # model and form fields
