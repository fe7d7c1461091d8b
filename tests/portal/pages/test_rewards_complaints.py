"""Redeeming and coupons; filing, following, confirming, reopening and rating a complaint."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from complaints import actions as complaint_actions
from complaints.models import Kind, Status, Ticket
from core import tenancy
from core.roles import Role
from membership.models import MemberStatus
from points.models import Coupon, LedgerEntry, Redemption, Reward
from tests.complaints.factories import TicketFactory
from tests.points.factories import CouponFactory, RedemptionFactory, RewardFactory
from tests.points.helpers import award, balance

from .conftest import page

pytestmark = pytest.mark.django_db


def _reward(tenant, **fields):
    with tenancy.tenant_context(tenant):
        return RewardFactory(tenant=tenant, **fields)


def _redeem(client, reward, key="k1", **extra):
    return client.post(f"/m/tenant-a/rewards/{reward.pk}/", {"key": key, **extra})


# --- rewards ----------------------------------------------------------------------------------


def test_the_catalog_shows_points_stock_and_what_the_member_can_afford(world, portal, member):
    cheap = _reward(world.a, name_zh="保温杯", points_cost=100, stock=3)
    dear = _reward(world.a, name_zh="按摩椅", points_cost=5000, stock=None)
    _reward(world.a, name_zh="下架礼品", is_active=False)
    _reward(world.a, name_zh="已抢光", stock=0)
    with tenancy.tenant_context(world.a):
        award(member, 300)
    body = page(portal, "/rewards/")
    assert "保温杯" in body and "按摩椅" in body
    assert "下架礼品" not in body and "已抢光" not in body
    assert f'href="/m/tenant-a/rewards/{cheap.pk}/"' in body
    assert f'href="/m/tenant-a/rewards/{dear.pk}/"' not in body  # not enough points: no button
    assert ">300<" in body


def test_the_confirmation_page_carries_a_fresh_key(world, portal, member):
    reward = _reward(world.a, points_cost=100)
    with tenancy.tenant_context(world.a):
        award(member, 300)
    first = page(portal, f"/rewards/{reward.pk}/")
    second = page(portal, f"/rewards/{reward.pk}/")
    key = first.split('name="key" value="')[1].split('"')[0]
    assert len(key) == 32 and key not in second


def test_redeeming_twice_with_the_same_key_redeems_once(world, portal, member):
    reward = _reward(world.a, points_cost=100, stock=5)
    with tenancy.tenant_context(world.a):
        award(member, 300)
    assert _redeem(portal, reward)["Location"] == "/m/tenant-a/rewards/mine/"
    assert _redeem(portal, reward)["Location"] == "/m/tenant-a/rewards/mine/"  # the double tap
    with tenancy.tenant_context(world.a):
        assert Redemption.objects.filter(member=member).count() == 1
        assert balance(member) == 200
        assert Reward.objects.get(pk=reward.pk).stock == 4
    # a new confirmation (a new key) redeems again
    _redeem(portal, reward, key="k2")
    with tenancy.tenant_context(world.a):
        assert balance(member) == 100


def test_a_double_tap_on_the_last_one_finds_the_first_redemption(world, portal, member):
    reward = _reward(world.a, points_cost=100, stock=1)
    with tenancy.tenant_context(world.a):
        award(member, 300)
    _redeem(portal, reward)
    response = _redeem(portal, reward)
    assert response.status_code == 302
    with tenancy.tenant_context(world.a):
        assert Redemption.objects.filter(member=member).count() == 1


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("poor", "Not enough points"),
        ("sold_out", "out of stock"),
        ("frozen", "Only active members"),
        ("withdrawn", "not available"),
    ],
)
def test_every_refusal_is_a_clear_message_and_nothing_is_lost(
    world, portal, member, setup, message
):
    reward = _reward(world.a, points_cost=100, stock=2)
    with tenancy.tenant_context(world.a):
        award(member, 50 if setup == "poor" else 300)
        if setup == "sold_out":
            Reward.objects.filter(pk=reward.pk).update(stock=0)
        if setup == "frozen":
            type(member).objects.filter(pk=member.pk).update(status=MemberStatus.FROZEN)
        if setup == "withdrawn":
            Reward.objects.filter(pk=reward.pk).update(is_active=False)
        before = (balance(member), LedgerEntry.objects.filter(member=member).count())
    portal.cookies["django_language"] = "en"
    response = _redeem(portal, reward)
    assert response.status_code == 200
    assert message in response.content.decode()
    with tenancy.tenant_context(world.a):
        assert (balance(member), LedgerEntry.objects.filter(member=member).count()) == before
        assert not Redemption.objects.filter(member=member).exists()
        if setup != "sold_out":
            assert Reward.objects.get(pk=reward.pk).stock == 2


def test_a_confirmation_without_its_key_redeems_nothing_and_says_so(world, portal, member):
    reward = _reward(world.a, points_cost=100)
    with tenancy.tenant_context(world.a):
        award(member, 300)
    portal.cookies["django_language"] = "en"
    response = portal.post(f"/m/tenant-a/rewards/{reward.pk}/", {})
    assert response.status_code == 200
    assert "Please try again" in response.content.decode()
    with tenancy.tenant_context(world.a):
        assert balance(member) == 300


def test_a_reward_with_an_id_check_asks_for_the_whole_id_number(world, portal, member):
    reward = _reward(world.a, points_cost=100, requires_id_check=True)
    with tenancy.tenant_context(world.a):
        award(member, 300)
    portal.cookies["django_language"] = "en"
    assert 'name="id_number"' in page(portal, f"/rewards/{reward.pk}/")
    body = _redeem(portal, reward).content.decode()
    assert "Enter your ID number" in body
    body = _redeem(portal, reward, id_number="4514").content.decode()
    assert "whole ID number" in body  # the last four digits are not enough online
    body = _redeem(portal, reward, id_number="110101199003070000").content.decode()
    assert "does not match" in body
    with tenancy.tenant_context(world.a):
        assert balance(member) == 300
    response = _redeem(portal, reward, id_number="110101 19900307 4514")
    assert response.status_code == 302
    with tenancy.tenant_context(world.a):
        assert Redemption.objects.get(member=member).id_checked


def test_a_coupon_reward_issues_a_coupon_shown_under_my_coupons(world, portal, member, other):
    reward = _reward(world.a, name_zh="50元代金券", kind="coupon", coupon_value=50, points_cost=100)
    with tenancy.tenant_context(world.a):
        award(member, 300)
        others = CouponFactory(
            tenant=world.a,
            member=other,
            redemption=RedemptionFactory(tenant=world.a, member=other, reward=reward),
        )
    _redeem(portal, reward)
    with tenancy.tenant_context(world.a):
        coupon = Coupon.objects.get(member=member)
    body = page(portal, "/rewards/mine/")
    assert coupon.code in body and "50元代金券" in body
    assert others.code not in body


def test_my_redemptions_show_status_and_only_mine(world, portal, member, other):
    reward = _reward(world.a, name_zh="需审批礼品", points_cost=100, requires_approval=True)
    with tenancy.tenant_context(world.a):
        award(member, 300)
        RedemptionFactory(
            tenant=world.a, member=other, reward=_reward(world.a, name_zh="别人的礼品")
        )
    portal.cookies["django_language"] = "en"
    _redeem(portal, reward)
    body = page(portal, "/rewards/mine/")
    assert "需审批礼品" in body and "Pending approval" in body
    assert "别人的礼品" not in body


def test_an_unknown_or_another_tenants_reward_is_a_404(world, portal, member):
    theirs = _reward(world.b)
    assert portal.get(f"/m/tenant-a/rewards/{theirs.pk}/").status_code == 404
    assert _redeem(portal, theirs).status_code == 404


# --- complaints -------------------------------------------------------------------------------


def _picture(name="photo.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_filing_a_complaint_with_a_picture(world, portal, member):
    with tenancy.tenant_context(world.a):
        from tests.factories import StoreFactory

        store = StoreFactory(tenant=world.a, name="徐家汇店")
    response = portal.post(
        "/m/tenant-a/complaints/new/",
        {
            "kind": "complaint",
            "store": store.pk,
            "description": "店员态度很差",
            "picture": _picture(),
        },
    )
    assert response.status_code == 302
    with tenancy.tenant_context(world.a):
        ticket = Ticket.objects.get(member=member)
        assert ticket.store == store and ticket.recorded_via == "portal"
        assert ticket.attachments.count() == 1
    assert response["Location"] == f"/m/tenant-a/complaints/{ticket.pk}/"
    assert "店员态度很差" in page(portal, "/complaints/")


def test_a_bad_picture_is_refused_and_the_text_is_kept(world, portal, member):
    portal.cookies["django_language"] = "en"
    fake = SimpleUploadedFile("x.png", b"not a picture", content_type="image/png")
    response = portal.post(
        "/m/tenant-a/complaints/new/",
        {"kind": "suggestion", "description": "Please open earlier", "picture": fake},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Please open earlier" in body and 'class="p-error"' in body
    with tenancy.tenant_context(world.a):
        assert not Ticket.objects.filter(member=member).exists()


def test_a_too_short_text_is_refused(world, portal, member):
    response = portal.post("/m/tenant-a/complaints/new/", {"kind": "complaint", "description": "x"})
    assert response.status_code == 200
    with tenancy.tenant_context(world.a):
        assert not Ticket.objects.filter(member=member).exists()


def _replied_ticket(world, member, reply="我们已为您更换新品"):
    staff = world.user(world.a, Role.MANAGER)
    with tenancy.tenant_context(world.a):
        ticket = complaint_actions.do_file_ticket_as_member(
            member, kind=Kind.COMPLAINT, description="鞋子开胶了"
        )
        complaint_actions.do_transition(ticket, Status.ACKNOWLEDGED, actor=staff)
        complaint_actions.do_transition(ticket, Status.INVESTIGATING, actor=staff)
        complaint_actions.do_transition(
            ticket, Status.PROPOSED, actor=staff, note="Internal: blame the supplier"
        )
        complaint_actions.do_transition(ticket, Status.APPROVED, actor=staff)
        complaint_actions.do_transition(ticket, Status.REPLIED, actor=staff, note=reply)
        complaint_actions.do_add_attachment(ticket, _picture("internal-photo.png"), actor=staff)
    return ticket


def test_following_a_ticket_shows_the_reply_and_never_internal_notes(world, portal, member):
    ticket = _replied_ticket(world, member)
    body = page(portal, f"/complaints/{ticket.pk}/")
    assert "鞋子开胶了" in body and "我们已为您更换新品" in body
    assert "Internal: blame the supplier" not in body
    assert "internal-photo.png" not in body
    assert world.user(world.a, Role.MANAGER).username not in body
    assert "confirm/" in body and "reopen/" in body


def test_another_members_ticket_is_a_404_on_every_ticket_route(world, portal, member, other):
    with tenancy.tenant_context(world.a):
        theirs = TicketFactory(tenant=world.a, member=other)
    for path in ("", "confirm/", "reopen/", "rate/"):
        url = f"/m/tenant-a/complaints/{theirs.pk}/{path}"
        assert portal.get(url).status_code in (404, 405)
        assert portal.post(url, {"note": "x", "rating": 5}).status_code == 404
    with tenancy.tenant_context(world.a):
        assert Ticket.objects.get(pk=theirs.pk).status == theirs.status


def test_confirming_then_rating_once(world, portal, member):
    ticket = _replied_ticket(world, member)
    portal.post(f"/m/tenant-a/complaints/{ticket.pk}/confirm/")
    with tenancy.tenant_context(world.a):
        ticket.refresh_from_db()
        assert ticket.status == Status.CONFIRMED
        complaint_actions.do_transition(
            ticket, Status.CLOSED, actor=world.user(world.a, Role.MANAGER)
        )
    assert 'name="rating"' in page(portal, f"/complaints/{ticket.pk}/")
    response = portal.post(
        f"/m/tenant-a/complaints/{ticket.pk}/rate/", {"rating": 4, "comment": "很快"}
    )
    assert response.status_code == 302
    again = portal.post(f"/m/tenant-a/complaints/{ticket.pk}/rate/", {"rating": 1})
    assert again.status_code == 400
    with tenancy.tenant_context(world.a):
        ticket.refresh_from_db()
    assert ticket.rating == 4 and ticket.rating_comment == "很快"


def test_rating_an_open_ticket_is_refused(world, portal, member):
    ticket = _replied_ticket(world, member)
    response = portal.post(f"/m/tenant-a/complaints/{ticket.pk}/rate/", {"rating": 5})
    assert response.status_code == 400
    with tenancy.tenant_context(world.a):
        ticket.refresh_from_db()
    assert ticket.rating is None


def test_reopening_needs_a_reason_and_starts_a_new_round(world, portal, member):
    ticket = _replied_ticket(world, member)
    response = portal.post(f"/m/tenant-a/complaints/{ticket.pk}/reopen/", {"note": ""})
    assert response.status_code == 400
    response = portal.post(f"/m/tenant-a/complaints/{ticket.pk}/reopen/", {"note": "还是坏的"})
    assert response.status_code == 302
    with tenancy.tenant_context(world.a):
        ticket.refresh_from_db()
    assert ticket.status == Status.INVESTIGATING
    # confirming is no longer offered, and a stale confirm is refused without harm
    portal.post(f"/m/tenant-a/complaints/{ticket.pk}/confirm/")
    with tenancy.tenant_context(world.a):
        ticket.refresh_from_db()
    assert ticket.status == Status.INVESTIGATING
