"""Money and the bounds of every amount, quantity and points figure, in one place.

Money is ``Decimal`` with ``DECIMAL_PLACES`` places (``numeric(12, 2)`` columns, the tenant's
currency beside it); never a float. The bounds are what the API, the forms and the actions
accept, chosen well inside the columns so that no sum of accepted values reaches a database
limit (an ``integer out of range`` or a numeric overflow would be a 500): a purchase line of at
most ``MAX_AMOUNT``, at most ``MAX_LINES`` lines, so a bill stays below 10^10; points of one
posting at most ``MAX_POINTS`` (accounts are 32-bit integers: 2,147,483,647).

Rounding to cents goes through ``round_money`` (half up unless a rule says down), and amounts
are shown by ``format_money`` (the ``money`` filter of ``core/templatetags/money.py``) in the
tenant's currency (``Tenant.currency``, ``DEFAULT_CURRENCY`` outside a tenant).
"""

from decimal import ROUND_HALF_UP, Decimal

from . import tenancy

MAX_DIGITS = 12
DECIMAL_PLACES = 2
CENT = Decimal("0.01")

MAX_AMOUNT = Decimal("99999999.99")  # one line, one refund, one payment: under 100 million
MAX_LINES = 50  # lines of one purchase
MAX_QUANTITY = 99_999  # items of one purchase line
MAX_POINTS = 100_000_000  # one posting (earn, award, adjustment, compensation, redemption)
MAX_BALANCE = 2_000_000_000  # one account's balance or debt, below the 32-bit column's limit

MONEY = {"max_digits": MAX_DIGITS, "decimal_places": DECIMAL_PLACES}  # model and form fields

DEFAULT_CURRENCY = "CNY"
SYMBOLS = {"CNY": "¥", "HKD": "HK$", "TWD": "NT$", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def round_money(amount, rounding: str = ROUND_HALF_UP) -> Decimal:
    """``amount`` (a Decimal, an int or a numeric string) to whole cents, half up unless the
    rule says otherwise (``ROUND_DOWN`` for what a refund pays back)."""
    return Decimal(amount).quantize(CENT, rounding=rounding)


def currency() -> str:
    """The active tenant's currency code (ISO 4217), ``DEFAULT_CURRENCY`` outside a tenant."""
    tenant = tenancy.current_tenant_or_none()
    return getattr(tenant, "currency", "") or DEFAULT_CURRENCY


def format_money(amount, currency_code: str | None = None) -> str:
    """``¥1,234.50``: the currency's symbol (else its code and a space), thousands separated,
    two places, a minus sign in front of the symbol. ``None`` or ``""`` shows as ``""``."""
    if amount is None or amount == "":
        return ""
    value = round_money(amount)
    code = currency_code or currency()
    symbol = SYMBOLS.get(code, f"{code} ")
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.2f}"
