"""Demo tenants modelled on the product brief (docs: ../shared/docs/product.md).

Every app may add a ``demo.py`` with ``load(tenant, spec)``; ``load_demo`` calls them in
INSTALLED_APPS order (lowest layer first), inside the tenant. Loading twice changes nothing.
"""

from django.contrib.auth import get_user_model

from .models import StaffRole, Store, Tenant
from .roles import Role

DEMO_PASSWORD = "demo-pass-2026"

TENANTS = [
    {
        "slug": "school",
        "name": "明德培训学校",
        "default_language": "zh-hans",
        "stores": [
            ("main", "总校区", "上海市徐汇区漕溪北路 88 号"),
            ("east", "东校区", "上海市浦东新区张杨路 500 号"),
        ],
    },
    {
        "slug": "shoes",
        "name": "步履鞋业",
        "default_language": "zh-hans",
        "stores": [
            ("nanjing-rd", "南京路店", "上海市黄浦区南京东路 300 号"),
            ("xujiahui", "徐家汇店", "上海市徐汇区虹桥路 1 号"),
        ],
    },
    {
        "slug": "amber",
        "name": "琥珀珠宝 Amber Jewellery",
        "default_language": "en",
        "stores": [
            ("flagship", "旗舰店 Flagship", "北京市东城区王府井大街 138 号"),
            ("airport", "机场店 Airport", "北京首都国际机场 T3"),
        ],
    },
]

STAFF = [
    ("owner", Role.OWNER, "王", "老板"),
    ("manager", Role.MANAGER, "李", "经理"),
    ("frontdesk", Role.FRONT_DESK, "张", "前台"),
    ("service", Role.CUSTOMER_SERVICE, "赵", "客服"),
]
OPERATOR = "operator"


def load_core(spec: dict) -> Tenant:
    tenant, _ = Tenant.objects.update_or_create(
        slug=spec["slug"],
        defaults={"name": spec["name"], "default_language": spec["default_language"]},
    )
    return tenant


def load_stores_and_staff(tenant: Tenant, spec: dict) -> None:
    User = get_user_model()
    stores = []
    for code, name, address in spec["stores"]:
        store, _ = Store.objects.update_or_create(
            code=code, defaults={"name": name, "address": address}
        )
        stores.append(store)
    for username, role, last, first in STAFF:
        user, created = User.objects.get_or_create(
            username=username, defaults={"last_name": last, "first_name": first}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        StaffRole.objects.update_or_create(
            user=user, defaults={"role": role, "store": stores[0], "is_active": True}
        )


def ensure_operator() -> None:
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=OPERATOR, defaults={"is_staff": True, "is_superuser": True}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
