"""Demo data for the member portal: one member per demo business who can sign in at
``/m/<tenant>/`` with a known password, with points, purchases, a reward catalog and a
complaint that has been answered. Loading twice changes nothing (``load_demo``)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from complaints import actions as complaint_actions
from complaints.models import Kind, Status
from core import tenancy
from core.models import Store
from membership import selectors as membership_selectors
from membership.actions import do_register_member, do_set_member_password
from membership.models import Member
from points import actions as points_actions
from points.models import PointsSettings, Reward
from points.selectors import forget_rules
from tiers.models import Tier, TierBenefit, TierRule

DEMO_MEMBER_PHONE = "13800000000"
DEMO_MEMBER_PASSWORD = "member-pass-2026"
# printed by ``load_demo`` (and so at the end of ``make run``'s loading)
NOTICE = (
    f"Member portal at /m/<business>/ — phone {DEMO_MEMBER_PHONE}, "
    f"password {DEMO_MEMBER_PASSWORD} (one such member in every demo business)"
)

LADDER = [
    # code, name zh, name en, spend in the calendar year, benefits
    ("ordinary", "普通会员", "Member", None, [("discount", "0.95", "")]),
    (
        "silver",
        "银卡会员",
        "Silver",
        "2000",
        [("discount", "0.90", ""), ("birthday_offer", None, "生日当月积分双倍")],
    ),
    (
        "gold",
        "金卡会员",
        "Gold",
        "8000",
        [("discount", "0.85", ""), ("complaint_days", "1", ""), ("free_item", None, "免费护理")],
    ),
]

REWARDS = [
    # name zh, name en, kind, points, stock, coupon value, needs approval, needs ID check
    ("20 元代金券", "20-yuan coupon", "coupon", 200, None, "20", False, False),
    ("品牌帆布袋", "Canvas tote bag", "gift", 350, 40, "0", False, False),
    ("保温杯", "Thermos flask", "gift", 800, 12, "0", False, False),
    ("琥珀手链", "Amber bracelet", "gift", 5000, 3, "0", True, True),
]


def _ensure_expiry() -> None:
    """Points that expire 12 months after earning, unless the business chose a policy."""
    settings, _ = PointsSettings.objects.get_or_create()
    if settings.expiry_policy == "never":
        settings.expiry_policy = "fixed_term"
        settings.expiry_months = 12
        settings.save()
        forget_rules()


def _ensure_ladder() -> None:
    if Tier.objects.exists():
        return  # the business has its own ladder
    for rank, (code, name_zh, name_en, spend, benefits) in enumerate(LADDER):
        tier = Tier.objects.create(
            rank=rank, code=code, name_zh=name_zh, name_en=name_en, is_entry=rank == 0
        )
        if spend:
            TierRule.objects.create(
                tier=tier,
                kind="spend",
                amount=Decimal(spend),
                window="year",
                effective_from=datetime.date(2020, 1, 1),
            )
        for kind, value, text in benefits:
            TierBenefit.objects.create(
                tier=tier, kind=kind, value=Decimal(value) if value else None, text=text
            )


def _ensure_catalog() -> None:
    if Reward.objects.exists():
        return
    for name_zh, name_en, kind, cost, stock, value, approval, id_check in REWARDS:
        Reward.objects.create(
            name_zh=name_zh,
            name_en=name_en,
            kind=kind,
            points_cost=cost,
            stock=stock,
            coupon_value=Decimal(value),
            requires_approval=approval,
            requires_id_check=id_check,
        )


def seed_member(
    *,
    phone: str,
    password: str,
    name: str,
    id_number: str = "",
    must_change: bool = False,
    stores: list | None = None,
) -> Member:
    """A member with a portal password, a year of purchases (some points expiring soon), a
    redeemed coupon and an answered complaint. Inside the tenant; assumes a fresh phone."""
    tenant = tenancy.current_tenant()
    stores = stores if stores is not None else list(Store.objects.order_by("pk")[:2])
    member = do_register_member(
        data={
            "name": name,
            "phone": "+86" + phone,
            "email": "",
            "address": "上海市徐汇区漕溪北路 100 弄 8 号",
            "birthday": datetime.date(1992, 6, 18),
            "joined_on": tenant.local_now().date() - datetime.timedelta(days=400),
            "store": stores[0] if stores else None,
            "id_type": "resident" if id_number else "",
            "id_number": id_number,
        },
        actor=None,
    )
    credential = do_set_member_password(member, password)
    if must_change:
        credential.must_change = True
        credential.save(update_fields=["must_change"])
    now = timezone.now()
    purchases = [
        (330, 0, "680"),
        (250, 1, "268"),
        (120, 0, "399"),
        (45, 1, "520"),
        (9, 0, "128"),
    ]
    for days_ago, store_index, amount in purchases:
        if not stores:
            break
        points_actions.do_record_purchase(
            member=member,
            store=stores[min(store_index, len(stores) - 1)],
            lines=[{"list_amount": Decimal(amount), "category": "goods"}],
            occurred_at=now - datetime.timedelta(days=days_ago),
            idempotency_key=f"demo:{member.pk}:purchase:{days_ago}",
        )
    points_actions.do_award_points(
        member,
        reason="opening_balance",
        points=300,
        idempotency_key=f"demo:{member.pk}:opening",
        note="开卡赠送",
    )
    coupon = Reward.objects.filter(kind="coupon", is_active=True).first()
    if coupon is not None:
        points_actions.do_redeem_reward(member, coupon, idempotency_key=f"demo:{member.pk}:redeem")
    ticket = complaint_actions.do_file_ticket_as_member(
        member,
        kind=Kind.COMPLAINT,
        description="上周买的鞋子穿了两次就开胶了。希望能给个说法。",
        store=stores[0] if stores else None,
    )
    for target, note in [
        (Status.ACKNOWLEDGED, ""),
        (Status.INVESTIGATING, ""),
        (Status.PROPOSED, "更换新鞋并赠送护理一次"),
        (Status.APPROVED, ""),
        (
            Status.REPLIED,
            "非常抱歉给您带来不便。请您方便时到店。我们为您免费更换同款新鞋并赠送一次皮具护理。",
        ),
    ]:
        complaint_actions.do_transition(ticket, target, actor=None, note=note)
    complaint_actions.do_file_ticket_as_member(
        member, kind=Kind.SUGGESTION, description="希望周末能延长营业时间到晚上十点。"
    )
    return member


def load(tenant, spec) -> None:
    if membership_selectors.members_by_phone(DEMO_MEMBER_PHONE).exists():
        return
    _ensure_expiry()
    _ensure_ladder()
    _ensure_catalog()
    seed_member(
        phone=DEMO_MEMBER_PHONE,
        password=DEMO_MEMBER_PASSWORD,
        name="李小萌" if spec.get("default_language") != "en" else "Lily Li",
        id_number="310104199206181236",
    )
