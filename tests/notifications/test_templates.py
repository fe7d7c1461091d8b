import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from notifications.models import MessageTemplate
from notifications.templates_default import SPECS, render, validate_template
from tests.notifications.factories import MessageTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize("key", list(SPECS))
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_default_renders_with_its_declared_variables(key, language):
    spec = SPECS[key]
    subject, body, _redacted = render(key, spec.variables, language=language)
    assert subject and body
    assert "{{" not in body


def test_an_unknown_variable_is_refused_with_the_known_ones_listed():
    with pytest.raises(ValidationError) as caught:
        validate_template("birthday", subject="", body="Hi {{ nmae }}")
    assert "Unknown variable “nmae”" in str(caught.value)
    assert "name, tenant" in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [
        "{% if secret %}x{% endif %}",
        "{{ name|default:secret }}",
        "{% for x in secrets %}{{ x }}{% endfor %}",
    ],
)
def test_unknown_variables_in_tags_and_filter_arguments_are_refused(body):
    with pytest.raises(ValidationError):
        validate_template("birthday", subject="", body=body)


def test_a_syntax_error_is_refused():
    with pytest.raises(ValidationError, match="syntax"):
        validate_template("birthday", subject="", body="Hi {% if name %}")


def test_tags_beyond_if_and_for_are_refused():
    with pytest.raises(ValidationError, match="not allowed"):
        validate_template("birthday", subject="", body="{% now 'Y' %}")


def test_declared_variables_filters_if_and_for_are_allowed():
    validate_template(
        "birthday",
        subject="{{ tenant|upper }}",
        body="{% if name %}{{ name|title }}{% else %}friend{% endif %}"
        "{% for letter in name %}{{ letter }}{{ forloop.counter }}{% endfor %}",
    )


def test_the_model_refuses_a_bad_template_on_full_clean(in_a):
    template = MessageTemplate(key="birthday", language="en", body="{{ card_number }}")
    with pytest.raises(ValidationError) as caught:
        template.full_clean()
    assert "body" in caught.value.message_dict


def test_the_initial_password_is_redacted_in_the_kept_text():
    _subject, body, redacted = render(
        "registration", {"tenant": "T", "card_number": "C1", "password": "pw-123"}, language="en"
    )
    assert "pw-123" in body and "pw-123" not in redacted and "******" in redacted


class TestAdmin:
    url = "/t/tenant-a/admin/notifications/messagetemplate/"

    def test_an_unknown_variable_is_refused_in_the_admin(self, client_a):
        response = client_a.post(
            f"{self.url}add/",
            {"key": "birthday", "language": "en", "subject": "", "body": "Hi {{ nmae }}"},
        )
        assert response.status_code == 200
        assert "“nmae”" in response.content.decode()  # in the admin's language
        from core import tenancy

        with tenancy.dangerously_all_tenants():
            assert not MessageTemplate.objects.exists()

    def test_a_saved_template_shows_a_preview_with_sample_values(self, client_a, world):
        from core import tenancy

        with tenancy.tenant_context(world.a):
            template = MessageTemplateFactory(body="Dear {{ name }} of {{ tenant }}")
        response = client_a.get(f"{self.url}{template.pk}/change/")
        assert response.status_code == 200
        assert "Dear Li Na of Amber Tea" in response.content.decode()

    def test_a_new_template_is_previewed_before_anything_is_saved(self, client_a, world):
        from core import tenancy

        data = {"key": "birthday", "language": "en", "subject": "", "body": "Dear {{ name }}!"}
        response = client_a.post(f"{self.url}add/", {**data, "_preview": "1"})
        assert response.status_code == 200
        assert "Dear Li Na!" in response.content.decode()  # the sample value
        with tenancy.tenant_context(world.a):
            assert not MessageTemplate.objects.exists()
        # The preview page posts the same fields to save them.
        response = client_a.post(f"{self.url}add/", {**data, "_save": "1"})
        assert response.status_code == 302
        with tenancy.tenant_context(world.a):
            assert MessageTemplate.objects.get().body == "Dear {{ name }}!"

    def test_a_preview_of_a_bad_template_says_why_and_saves_nothing(self, client_a, world):
        from core import tenancy

        response = client_a.post(
            f"{self.url}add/",
            {"key": "birthday", "language": "en", "body": "Hi {{ nmae }}", "_preview": "1"},
        )
        assert response.status_code == 200 and "“nmae”" in response.content.decode()
        with tenancy.tenant_context(world.a):
            assert not MessageTemplate.objects.exists()

    def test_the_delivery_log_and_settings_pages_open(self, client_a, world):
        from core import tenancy
        from tests.notifications.factories import MessageFactory, NotificationSettingsFactory

        with tenancy.tenant_context(world.a):
            MessageFactory(recipient="+8613911112222")
            settings_row = NotificationSettingsFactory()
        with tenancy.tenant_context(world.b):
            MessageFactory(recipient="+8613999999999")
        page = client_a.get("/t/tenant-a/admin/notifications/message/?status=pending").content
        assert b"+8613911112222" in page and b"+8613999999999" not in page
        settings_url = (
            f"/t/tenant-a/admin/notifications/notificationsettings/{settings_row.pk}/change/"
        )
        assert client_a.get(settings_url).status_code == 200
        assert client_a.get("/t/tenant-a/admin/notifications/broadcast/add/").status_code == 200


def test_every_notifications_string_has_a_chinese_translation():
    from pathlib import Path

    import polib

    po = Path(__file__).resolve().parents[2] / "notifications/locale/zh_Hans/LC_MESSAGES/django.po"
    catalog = polib.pofile(str(po))
    assert [entry.msgid for entry in catalog if not entry.msgstr or entry.fuzzy] == []


def test_a_default_renders_in_chinese_for_a_chinese_speaking_member():
    from django.core.management import call_command
    from django.utils.translation import trans_real

    call_command("compile_translations", verbosity=0)
    trans_real._translations = {}  # reload catalogues compiled after this process loaded them
    trans_real._default = None
    _subject, body, _ = render("birthday", {"tenant": "琥珀茶", "name": "李娜"}, language="zh-hans")
    assert body.startswith("李娜") and "生日快乐" in body
