"""Partner organisations: creating, editing and changing the status of a partner, the detail page and the list."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partners import permissions, services
from partners.models import Partner, PartnerBlackout, PartnerInvitation, PartnerStatus, Region, Sector
from tests.factories import (
    ParticipantFactory,
    PartnerContactFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ProgrammeTeamFactory,
)
from tests.support import invitation_token_from

pytestmark = pytest.mark.django_db


def create_data(**overrides):
    """A complete, valid 'Add a partner' form."""
    return {
        "name": "St Columba's Hospice",
        "sector": Sector.HOSPICE,
        "region": Region.SCOTLAND,
        "address_line_1": "15 Boswall Road",
        "address_line_2": "",
        "town": "Edinburgh",
        "postcode": "eh5 3rw",
        "website": "https://www.stcolumbashospice.org.uk",
        "description": "Specialist palliative care.\n\nInpatient unit and community teams.",
        "vetting_requirements": "Basic disclosure (PVG) check.",
        "max_visitors_per_week": "3",
        "max_visitors_per_month": "8",
        "first_contact_email": "",
        **overrides,
    }


def edit_data(partner, **overrides):
    data = {
        "name": partner.name,
        "sector": partner.sector,
        "region": partner.region,
        "address_line_1": partner.address_line_1,
        "address_line_2": partner.address_line_2,
        "town": partner.town,
        "postcode": partner.postcode or "M1 1AE",
        "website": partner.website,
        "description": partner.description,
        "vetting_requirements": partner.vetting_requirements,
    }
    data.update(overrides)
    return data


def service_create(**overrides):
    fields = {"name": "Northbridge NHS Trust", "sector": Sector.ACUTE_NHS_TRUST, "region": Region.NORTH_WEST}
    fields.update(overrides)
    return services.partner_create(by=None, **fields)


@pytest.fixture
def team(client):
    member = ProgrammeTeamFactory()
    client.force_login(member)
    return member


@pytest.fixture
def partner():
    return PartnerFactory(
        name="Meadow Lane GP Practice",
        sector=Sector.PRIMARY_CARE,
        region=Region.NORTH_WEST,
        address_line_1="2 Meadow Lane",
        town="Manchester",
        postcode="M1 1AE",
    )


# --- Services -------------------------------------------------------------------------------------


def test_partner_create_saves_every_field_with_the_postcode_normalised():
    partner = service_create(
        name="  Northbridge   NHS Trust ",
        address_line_1="1 Hospital Road",
        address_line_2="Level 2",
        town="Salford",
        postcode=" m6\t8hd ",
        website="https://northbridge.example.nhs.uk",
        description="Acute hospital.",
        vetting_requirements="Enhanced DBS.",
        max_visitors_per_week=4,
        max_visitors_per_month=10,
    )

    partner.refresh_from_db()
    assert (
        partner.name,
        partner.status,
        partner.address_lines,
        partner.website,
        partner.description,
        partner.vetting_requirements,
        partner.max_visitors_per_week,
        partner.max_visitors_per_month,
    ) == (
        "Northbridge NHS Trust",
        PartnerStatus.INVITED,
        ["1 Hospital Road", "Level 2", "Salford", "M6 8HD"],
        "https://northbridge.example.nhs.uk",
        "Acute hospital.",
        "Enhanced DBS.",
        4,
        10,
    )


@pytest.mark.parametrize(
    "name", ["NORTHBRIDGE NHS TRUST", "northbridge  nhs trust", " Northbridge NHS Trust"]
)
def test_partner_create_refuses_a_name_that_differs_only_in_case_or_spacing(name):
    service_create(name="Northbridge NHS Trust")

    with pytest.raises(ValidationError) as error:
        service_create(name=name)

    assert error.value.message_dict == {
        "name": [
            f"A partner called “{' '.join(name.split())}” already exists. Names must be different, whatever their capital letters."
        ]
    }
    assert Partner.objects.count() == 1


def test_partner_name_race_is_settled_by_the_database_with_the_same_message():
    service_create(name="Northbridge NHS Trust")
    twin = Partner(name="northbridge nhs trust", sector=Sector.POLICE, region=Region.LONDON)

    with pytest.raises(ValidationError) as error:
        services._partner_save(twin)

    assert list(error.value.message_dict) == ["name"]
    assert Partner.objects.count() == 1


def test_partner_create_checks_postcode_website_and_caps_together():
    with pytest.raises(ValidationError) as error:
        service_create(
            postcode="ZZ99 9ZZZ",
            website="javascript:alert(1)",
            max_visitors_per_week=0,
            max_visitors_per_month=501,
        )

    assert error.value.message_dict == {
        "postcode": ["Enter a real postcode, like SW1A 2AA"],
        "website": ["Enter a website address that starts with https:// or http://"],
        "max_visitors_per_week": ["The most visitors in one week must be a whole number from 1 to 500"],
        "max_visitors_per_month": ["The most visitors in one month must be a whole number from 1 to 500"],
    }
    assert Partner.objects.count() == 0


def test_partner_create_invites_the_first_contact_as_partner_admin_once_committed(
    django_capture_on_commit_callbacks, mailoutbox
):
    team_member = ProgrammeTeamFactory()

    with django_capture_on_commit_callbacks(execute=True):
        partner = services.partner_create(
            name="Northbridge NHS Trust",
            sector=Sector.ACUTE_NHS_TRUST,
            region=Region.NORTH_WEST,
            by=team_member,
            first_contact_email="Lead@Northbridge.example.nhs.uk",
        )

    assert list(PartnerInvitation.objects.values_list("partner", "email", "is_admin", "invited_by")) == [
        (partner.pk, "lead@northbridge.example.nhs.uk", True, team_member.pk)
    ]
    assert [m.to for m in mailoutbox] == [["lead@northbridge.example.nhs.uk"]]


def test_partner_create_saves_nothing_when_the_invitation_is_refused(
    django_capture_on_commit_callbacks, mailoutbox
):
    ParticipantFactory(email="civil.servant@dhsc.gov.uk")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as error:
        service_create(first_contact_email="civil.servant@dhsc.gov.uk")

    assert error.value.message_dict == {
        "first_contact_email": [
            "This e-mail address belongs to a participant account, which cannot act for a partner."
        ]
    }
    assert (Partner.objects.count(), PartnerInvitation.objects.count(), mailoutbox) == (0, 0, [])


def test_partner_update_changes_only_the_fields_given(partner):
    updated = services.partner_update(
        partner=partner, data={"description": "  Busy practice.  ", "postcode": "sw1a2aa"}, by=None
    )

    partner.refresh_from_db()
    assert updated == partner
    assert (partner.name, partner.description, partner.postcode, partner.town) == (
        "Meadow Lane GP Practice",
        "Busy practice.",
        "SW1A 2AA",
        "Manchester",
    )


def test_partner_update_may_change_the_capitals_of_its_own_name(partner):
    services.partner_update(partner=partner, data={"name": "MEADOW LANE GP PRACTICE"}, by=None)

    partner.refresh_from_db()
    assert partner.name == "MEADOW LANE GP PRACTICE"


def test_partner_update_refuses_to_change_the_status(partner):
    with pytest.raises(ValueError, match="status"):
        services.partner_update(partner=partner, data={"status": PartnerStatus.ARCHIVED}, by=None)

    partner.refresh_from_db()
    assert partner.status == PartnerStatus.ACTIVE


def test_partner_status_set_moves_the_partner_and_a_repeat_changes_nothing(partner):
    first = services.partner_status_set(partner=partner, status=PartnerStatus.PAUSED, by=None)
    stamp = Partner.objects.get(pk=partner.pk).updated_at
    again = services.partner_status_set(partner=partner, status=PartnerStatus.PAUSED, by=None)

    assert (first.status, again.status) == (PartnerStatus.PAUSED, PartnerStatus.PAUSED)
    assert Partner.objects.get(pk=partner.pk).updated_at == stamp


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (PartnerStatus.INVITED, "A partner cannot go back to “Invited”."),
        ("deleted", "Choose active, paused or archived"),
    ],
)
def test_partner_status_set_refuses_invited_and_unknown_statuses(partner, status, message):
    with pytest.raises(ValidationError) as error:
        services.partner_status_set(partner=partner, status=status, by=None)

    assert error.value.message_dict == {"status": [message]}
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.ACTIVE


# --- Permissions ----------------------------------------------------------------------------------


def test_permission_predicates_by_role(partner):
    people = {
        "team": ProgrammeTeamFactory(),
        "admin": PartnerMembershipFactory(partner=partner, is_admin=True).user,
        "contact": PartnerMembershipFactory(partner=partner, is_admin=False).user,
        "other admin": PartnerMembershipFactory(is_admin=True).user,
        "participant": ParticipantFactory(),
    }
    predicates = [
        permissions.can_view_partner,
        permissions.can_invite_partner_contact,
        permissions.can_edit_partner_profile,
        permissions.can_edit_partner_identity,
        permissions.can_manage_partner_capacity,
        permissions.can_change_partner_status,
    ]

    table = {who: [can(user, partner) for can in predicates] for who, user in people.items()}

    assert table == {
        "team": [True, True, True, True, True, True],
        "admin": [True, True, True, False, True, False],
        "contact": [True, False, False, False, False, False],
        "other admin": [False, False, False, False, False, False],
        "participant": [False, False, False, False, False, False],
    }
    assert [permissions.can_create_partner(user) for user in people.values()] == [
        True,
        False,
        False,
        False,
        False,
    ]


# --- Creating a partner ---------------------------------------------------------------------------


def test_create_page_saves_the_partner_and_lands_on_its_page(client, team):
    assert client.get(reverse("partners:create")).status_code == 200

    response = client.post(reverse("partners:create"), create_data())

    partner = Partner.objects.get()
    assert response["Location"] == reverse("partners:detail", args=[partner.pk])
    assert (partner.name, partner.sector, partner.region, partner.postcode, partner.status) == (
        "St Columba's Hospice",
        Sector.HOSPICE,
        Region.SCOTLAND,
        "EH5 3RW",
        PartnerStatus.INVITED,
    )
    assert (partner.max_visitors_per_week, partner.max_visitors_per_month) == (3, 8)
    page = client.get(response["Location"])
    assert [str(m) for m in page.context["messages"]] == ["St Columba's Hospice has been added."]


def test_create_page_invites_the_first_contact_in_the_same_step(
    client, team, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("partners:create"), create_data(first_contact_email="director@stcolumbas.example.org")
        )

    partner = Partner.objects.get()
    assert response["Location"] == reverse("partners:detail", args=[partner.pk])
    assert [m.to for m in mailoutbox] == [["director@stcolumbas.example.org"]]
    accept = client.get(reverse("partners:invitation_accept", args=[invitation_token_from(mailoutbox[0])]))
    assert accept.status_code == 200
    assert list(partner.invitations.values_list("email", "is_admin")) == [
        ("director@stcolumbas.example.org", True)
    ]


def test_create_page_keeps_nothing_when_the_invitation_is_refused(client, team, mailoutbox):
    ParticipantFactory(email="civil.servant@dhsc.gov.uk")

    response = client.post(
        reverse("partners:create"), create_data(first_contact_email="civil.servant@dhsc.gov.uk")
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "first_contact_email": [
            "This e-mail address belongs to a participant account, which cannot act for a partner."
        ]
    }
    assert (Partner.objects.count(), PartnerInvitation.objects.count(), mailoutbox) == (0, 0, [])


def test_create_page_refuses_a_duplicate_name_on_the_name_field(client, team):
    PartnerFactory(name="St Columba's Hospice")

    response = client.post(reverse("partners:create"), create_data(name="ST COLUMBA'S  HOSPICE"))

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "name": [
            "A partner called “ST COLUMBA'S HOSPICE” already exists. Names must be different, whatever their capital letters."
        ]
    }
    assert Partner.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Enter the name of the organisation"),
        ("sector", "", "Choose the organisation's sector"),
        ("sector", "bank", "Choose a sector from the list"),
        ("region", "mars", "Choose a region from the list"),
        ("postcode", "", "Enter a postcode"),
        ("postcode", "SW1A 2AAA", "Enter a real postcode, like SW1A 2AA"),
        ("postcode", "QQ1 1QQ", "Enter a real postcode, like SW1A 2AA"),
        ("address_line_1", "  ", "Enter the first line of the address"),
        ("town", "", "Enter the town or city"),
        (
            "website",
            "not a website",
            "Enter a website address in the right format, like https://www.example.org",
        ),
        (
            "website",
            "ftp://files.example.org",
            "Enter a website address in the right format, like https://www.example.org",
        ),
        (
            "website",
            "javascript:alert(1)",
            "Enter a website address in the right format, like https://www.example.org",
        ),
        (
            "max_visitors_per_week",
            "0",
            "The most visitors in one week must be 1 or more. Leave it blank for no limit",
        ),
        ("max_visitors_per_week", "501", "The most visitors in one week must be 500 or fewer"),
        ("max_visitors_per_week", "2.5", "Enter the most visitors in one week as a whole number, like 10"),
        ("max_visitors_per_month", "ten", "Enter the most visitors in one month as a whole number, like 10"),
        (
            "max_visitors_per_month",
            "2",
            "The most visitors in one month cannot be fewer than the most in one week (3). Raise it, or leave it blank for no monthly limit.",
        ),
        (
            "first_contact_email",
            "not an address",
            "Enter an e-mail address in the correct format, like name@example.org",
        ),
    ],
)
def test_create_page_shows_a_field_error_and_saves_nothing(client, team, field, value, message):
    response = client.post(reverse("partners:create"), create_data(**{field: value}))

    assert response.status_code == 400
    assert response.context["form"].errors == {field: [message]}
    assert "There is a problem" in response.content.decode()
    assert Partner.objects.count() == 0


@pytest.mark.parametrize("value", ["\x00", "a\x00b", "x" * 10_000, "<script>alert(1)</script>"])
def test_create_page_with_hostile_values_in_every_field_answers_with_form_errors(
    client, team, value, mailoutbox
):
    data = dict.fromkeys(create_data(), value)

    response = client.post(reverse("partners:create"), data)

    assert response.status_code == 400
    assert set(response.context["form"].errors) >= {"sector", "region", "postcode", "website"}
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert (Partner.objects.count(), PartnerInvitation.objects.count(), mailoutbox) == (0, 0, [])


def test_create_page_with_a_nul_byte_in_one_text_field_names_that_field(client, team):
    response = client.post(reverse("partners:create"), create_data(description="Hospice\x00care"))

    assert response.status_code == 400
    assert response.context["form"].errors == {"description": ["Null characters are not allowed."]}
    assert Partner.objects.count() == 0


def test_create_page_with_a_10000_character_description_asks_for_fewer(client, team):
    response = client.post(reverse("partners:create"), create_data(description="x" * 10_000))

    assert response.status_code == 400
    assert response.context["form"].errors == {"description": ["Enter 5000 characters or fewer"]}


@pytest.mark.parametrize("factory", [ParticipantFactory, PartnerContactFactory])
def test_create_page_is_only_for_the_programme_team(client, factory):
    client.force_login(factory())

    assert client.get(reverse("partners:create")).status_code == 403
    assert client.post(reverse("partners:create"), create_data()).status_code == 403
    assert Partner.objects.count() == 0


def test_partner_admin_cannot_create_a_partner(client):
    client.force_login(PartnerMembershipFactory(is_admin=True).user)

    response = client.post(reverse("partners:create"), create_data())

    assert response.status_code == 403
    assert Partner.objects.filter(name="St Columba's Hospice").count() == 0


# --- The partner page -----------------------------------------------------------------------------


def test_detail_page_shows_the_whole_profile(client, team, partner):
    Partner.objects.filter(pk=partner.pk).update(
        address_line_2="Floor 3",
        website="https://meadowlane.example.nhs.uk",
        description="A busy practice.\nTwo sites.",
        vetting_requirements="Basic DBS check.",
        max_visitors_per_week=2,
    )
    PartnerMembershipFactory(partner=partner, is_admin=True, user__full_name="Dr Lucy Chen")
    services.partner_contact_invite(partner=partner, email="nurse@meadowlane.example.nhs.uk", invited_by=team)
    today = timezone.localdate()
    PartnerBlackout.objects.create(
        partner=partner,
        starts_on=today + datetime.timedelta(days=40),
        ends_on=today + datetime.timedelta(days=45),
        reason="Inspection",
    )
    PartnerBlackout.objects.create(
        partner=partner,
        starts_on=today + datetime.timedelta(days=5),
        ends_on=today + datetime.timedelta(days=9),
        reason="Flu clinics",
    )

    response = client.get(reverse("partners:detail", args=[partner.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "2 Meadow Lane<br>Floor 3<br>Manchester<br>M1 1AE" in html
    assert '<a class="govuk-link" href="https://meadowlane.example.nhs.uk" rel="noopener noreferrer">' in html
    assert "<p>A busy practice.<br>Two sites.</p>" in html
    assert "<p>Basic DBS check.</p>" in html
    assert [b.reason for b in response.context["blackouts"]] == ["Flu clinics", "Inspection"]
    assert html.index("Flu clinics") < html.index("Inspection")
    assert "Dr Lucy Chen" in html
    assert "nurse@meadowlane.example.nhs.uk" in html
    assert re.findall(r"Most visitors in one (?:week|month)</dt>\s*<dd[^>]*>([^<]+)</dd>", html) == [
        "2",
        "No limit",
    ]
    for url_name in ("partners:edit", "partners:status", "partners:capacity"):
        assert f'href="{reverse(url_name, args=[partner.pk])}"' in html


def test_detail_page_escapes_markup_in_the_profile(client, team, partner):
    Partner.objects.filter(pk=partner.pk).update(
        description="<script>alert(1)</script>", website='https://example.org/"onmouseover="alert(1)'
    )

    html = client.get(reverse("partners:detail", args=[partner.pk])).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '"onmouseover="' not in html


def test_detail_page_offers_each_person_only_the_links_they_may_use(client, partner):
    admin = PartnerMembershipFactory(partner=partner, is_admin=True).user
    contact = PartnerMembershipFactory(partner=partner, is_admin=False).user
    links = {}
    for who, user in (("admin", admin), ("contact", contact)):
        client.force_login(user)
        html = client.get(reverse("partners:detail", args=[partner.pk])).content.decode()
        links[who] = [
            name
            for name in ("partners:edit", "partners:status", "partners:capacity")
            if f'href="{reverse(name, args=[partner.pk])}"' in html
        ]

    assert links == {"admin": ["partners:edit", "partners:capacity"], "contact": []}


# --- Editing a partner ----------------------------------------------------------------------------


def test_programme_team_edits_everything_but_the_status(client, team, partner):
    response = client.post(
        reverse("partners:edit", args=[partner.pk]),
        edit_data(
            partner,
            name="Meadow Lane Surgery",
            sector=Sector.CARE_HOME,
            region=Region.LONDON,
            postcode="sw1a 2aa",
            website="http://meadowlane.example.org",
            vetting_requirements="None.",
            status=PartnerStatus.ARCHIVED,
        ),
    )

    assert response["Location"] == reverse("partners:detail", args=[partner.pk])
    partner.refresh_from_db()
    assert (
        partner.name,
        partner.sector,
        partner.region,
        partner.postcode,
        partner.website,
        partner.status,
    ) == (
        "Meadow Lane Surgery",
        Sector.CARE_HOME,
        Region.LONDON,
        "SW1A 2AA",
        "http://meadowlane.example.org",
        PartnerStatus.ACTIVE,
    )
    assert partner.vetting_requirements == "None."


def test_partner_admin_edits_the_profile_but_not_name_sector_or_region(client, partner):
    client.force_login(PartnerMembershipFactory(partner=partner, is_admin=True).user)
    page = client.get(reverse("partners:edit", args=[partner.pk]))

    response = client.post(
        reverse("partners:edit", args=[partner.pk]),
        edit_data(partner, name="Renamed", sector=Sector.POLICE, description="Now with a pharmacy."),
    )

    assert list(page.context["form"].fields) == [
        "address_line_1",
        "address_line_2",
        "town",
        "postcode",
        "website",
        "description",
        "vetting_requirements",
    ]
    assert page.context["form"]["postcode"].value() == "M1 1AE"
    assert response["Location"] == reverse("partners:detail", args=[partner.pk])
    partner.refresh_from_db()
    assert (partner.name, partner.sector, partner.description) == (
        "Meadow Lane GP Practice",
        Sector.PRIMARY_CARE,
        "Now with a pharmacy.",
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("postcode", "12345", "Enter a real postcode, like SW1A 2AA"),
        (
            "website",
            "www.example.org two",
            "Enter a website address in the right format, like https://www.example.org",
        ),
        ("town", "x" * 10_000, "Enter 100 characters or fewer"),
        ("address_line_1", "a\x00b", "Null characters are not allowed."),
    ],
)
def test_edit_page_shows_a_field_error_and_changes_nothing(client, team, partner, field, value, message):
    response = client.post(reverse("partners:edit", args=[partner.pk]), edit_data(partner, **{field: value}))

    assert response.status_code == 400
    assert response.context["form"].errors == {field: [message]}
    assert Partner.objects.get(pk=partner.pk).updated_at == partner.updated_at


def test_edit_page_refuses_another_partners_name(client, team, partner):
    PartnerFactory(name="Northbridge NHS Trust")

    response = client.post(
        reverse("partners:edit", args=[partner.pk]), edit_data(partner, name="northbridge nhs trust")
    )

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["name"]
    partner.refresh_from_db()
    assert partner.name == "Meadow Lane GP Practice"


def test_contact_who_is_not_an_admin_sees_the_profile_but_gets_403_on_edit(client, partner):
    """A contact may see their own partner, so refusing them the edit page is 403, not 404."""
    client.force_login(PartnerMembershipFactory(partner=partner, is_admin=False).user)

    detail = client.get(reverse("partners:detail", args=[partner.pk]))
    edit_get = client.get(reverse("partners:edit", args=[partner.pk]))
    edit_post = client.post(
        reverse("partners:edit", args=[partner.pk]), edit_data(partner, description="Mine now")
    )

    assert (detail.status_code, edit_get.status_code, edit_post.status_code) == (200, 403, 403)
    assert Partner.objects.get(pk=partner.pk).description == ""


# --- Status ---------------------------------------------------------------------------------------


def test_programme_team_changes_the_status(client, team, partner):
    page = client.get(reverse("partners:status", args=[partner.pk]))
    response = client.post(reverse("partners:status", args=[partner.pk]), {"status": PartnerStatus.PAUSED})

    assert [value for value, _label in page.context["form"].fields["status"].choices] == [
        PartnerStatus.ACTIVE,
        PartnerStatus.PAUSED,
        PartnerStatus.ARCHIVED,
    ]
    assert response["Location"] == reverse("partners:detail", args=[partner.pk])
    assert Partner.objects.get(pk=partner.pk).status == PartnerStatus.PAUSED


@pytest.mark.parametrize("value", ["", "invited", "deleted", "\x00", "x" * 10_000])
def test_status_page_refuses_a_bad_status_with_a_form_error(client, team, partner, value):
    response = client.post(reverse("partners:status", args=[partner.pk]), {"status": value})

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["status"]
    assert Partner.objects.get(pk=partner.pk).status == PartnerStatus.ACTIVE


def test_partner_admin_cannot_change_the_status(client, partner):
    client.force_login(PartnerMembershipFactory(partner=partner, is_admin=True).user)

    get = client.get(reverse("partners:status", args=[partner.pk]))
    post = client.post(reverse("partners:status", args=[partner.pk]), {"status": PartnerStatus.ARCHIVED})

    assert (get.status_code, post.status_code) == (403, 403)
    assert Partner.objects.get(pk=partner.pk).status == PartnerStatus.ACTIVE


# --- Other organisations and other roles ----------------------------------------------------------

PARTNER_URLS = [
    ("get", "partners:detail"),
    ("get", "partners:edit"),
    ("post", "partners:edit"),
    ("get", "partners:status"),
    ("post", "partners:status"),
    ("get", "partners:capacity"),
    ("post", "partners:capacity"),
    ("post", "partners:blackout_add"),
    ("post", "partners:blackout_remove"),
    ("post", "partners:invite"),
]


def _url(name, partner, blackout):
    args = [partner.pk, blackout.pk] if name == "partners:blackout_remove" else [partner.pk]
    return reverse(name, args=args)


def _post_data(name, partner):
    return {
        "partners:edit": edit_data(partner, description="Taken over"),
        "partners:status": {"status": PartnerStatus.ARCHIVED},
        "partners:capacity": {"max_visitors_per_week": "1", "max_visitors_per_month": "1"},
        "partners:blackout_add": {
            "starts_on_0": "1",
            "starts_on_1": "1",
            "starts_on_2": "2099",
            "ends_on_0": "2",
            "ends_on_1": "1",
            "ends_on_2": "2099",
            "reason": "Closed",
        },
        "partners:invite": {"email": "spy@elsewhere.example.org"},
    }.get(name, {})


def _unchanged(partner, blackout):
    fresh = Partner.objects.get(pk=partner.pk)
    return (
        fresh.description,
        fresh.status,
        fresh.max_visitors_per_week,
        list(PartnerBlackout.objects.filter(partner=partner).values_list("pk", flat=True)),
        PartnerInvitation.objects.filter(partner=partner).count(),
    ) == ("", PartnerStatus.ACTIVE, None, [blackout.pk], 0)


@pytest.mark.parametrize(("method", "url_name"), PARTNER_URLS)
def test_contact_of_another_partner_gets_404_on_every_partner_url(client, partner, method, url_name):
    blackout = PartnerBlackout.objects.create(
        partner=partner,
        starts_on=datetime.date(2099, 3, 1),
        ends_on=datetime.date(2099, 3, 2),
        reason="Audit",
    )
    client.force_login(PartnerMembershipFactory(is_admin=True).user)

    response = getattr(client, method)(_url(url_name, partner, blackout), _post_data(url_name, partner))

    assert response.status_code == 404
    assert _unchanged(partner, blackout)


@pytest.mark.parametrize(("method", "url_name"), PARTNER_URLS)
def test_participant_gets_403_on_every_partner_url(client, partner, method, url_name):
    blackout = PartnerBlackout.objects.create(
        partner=partner,
        starts_on=datetime.date(2099, 3, 1),
        ends_on=datetime.date(2099, 3, 2),
        reason="Audit",
    )
    client.force_login(ParticipantFactory())

    response = getattr(client, method)(_url(url_name, partner, blackout), _post_data(url_name, partner))

    assert response.status_code == 403
    assert _unchanged(partner, blackout)


@pytest.mark.parametrize("partner_id", ["0", "99999999999999999999"])
@pytest.mark.parametrize("suffix", ["edit/", "status/", "capacity/"])
def test_partner_pages_with_odd_ids_answer_404(client, team, partner_id, suffix):
    assert client.get(f"/partners/{partner_id}/{suffix}").status_code == 404


# --- The partner list -----------------------------------------------------------------------------


@pytest.fixture
def spread():
    """Four partners across sectors, regions and statuses."""
    return {
        "hospice": PartnerFactory(name="St Columba's Hospice", sector=Sector.HOSPICE, region=Region.SCOTLAND),
        "trust": PartnerFactory(
            name="Northbridge NHS Trust", sector=Sector.ACUTE_NHS_TRUST, region=Region.NORTH_WEST
        ),
        "police": PartnerFactory(
            name="Northshire Police",
            sector=Sector.POLICE,
            region=Region.NORTH_WEST,
            status=PartnerStatus.PAUSED,
        ),
        "council": PartnerFactory(
            name="ashford council",
            sector=Sector.LOCAL_AUTHORITY,
            region=Region.SOUTH_EAST,
            status=PartnerStatus.ARCHIVED,
        ),
    }


def _names(response):
    return [p.name for p in response.context["page"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["ashford council", "Northbridge NHS Trust", "Northshire Police", "St Columba's Hospice"]),
        ({"q": "north"}, ["Northbridge NHS Trust", "Northshire Police"]),
        ({"q": "  NORTH  "}, ["Northbridge NHS Trust", "Northshire Police"]),
        ({"q": "%"}, []),
        ({"sector": Sector.HOSPICE}, ["St Columba's Hospice"]),
        ({"region": Region.NORTH_WEST}, ["Northbridge NHS Trust", "Northshire Police"]),
        ({"status": PartnerStatus.ARCHIVED}, ["ashford council"]),
        ({"region": Region.NORTH_WEST, "status": PartnerStatus.ACTIVE}, ["Northbridge NHS Trust"]),
        ({"q": "north", "sector": Sector.POLICE, "region": Region.NORTH_WEST}, ["Northshire Police"]),
        ({"sector": Sector.EDUCATION}, []),
    ],
)
def test_partner_list_filters(client, team, spread, query, expected):
    response = client.get(reverse("partners:list"), query)

    assert response.status_code == 200
    assert _names(response) == expected


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"sector": "bank"}, {"sector": ["Choose a sector from the list"]}),
        ({"status": "deleted", "region": Region.SCOTLAND}, {"status": ["Choose a status from the list"]}),
        ({"q": "a\x00b"}, {"q": ["Null characters are not allowed."]}),
        ({"q": "x" * 10_000}, {"q": ["Enter 100 characters or fewer"]}),
    ],
)
def test_partner_list_drops_a_bad_filter_with_an_error_and_keeps_the_good_ones(
    client, team, spread, query, errors
):
    response = client.get(reverse("partners:list"), query)

    assert response.status_code == 400
    assert response.context["form"].errors == errors
    expected = (
        ["St Columba's Hospice"]
        if query.get("region")
        else [
            "ashford council",
            "Northbridge NHS Trust",
            "Northshire Police",
            "St Columba's Hospice",
        ]
    )
    assert _names(response) == expected


def test_partner_list_pagination_keeps_the_filters(client, team):
    PartnerFactory.create_batch(27, sector=Sector.HOSPICE, region=Region.WALES)
    PartnerFactory.create_batch(2, sector=Sector.POLICE, region=Region.WALES)

    first = client.get(reverse("partners:list"), {"sector": Sector.HOSPICE, "region": Region.WALES})
    second = client.get(
        reverse("partners:list"), {"sector": Sector.HOSPICE, "region": Region.WALES, "page": "2"}
    )

    html = first.content.decode()
    assert first.context["page"].paginator.count == 27
    assert 'href="?sector=hospice&amp;region=wales&amp;page=2" rel="next"' in html
    assert len(second.context["page"]) == 2
    assert {p.sector for p in second.context["page"]} == {Sector.HOSPICE}


def test_partner_list_query_count_is_the_same_for_1_and_3_partners(client, team):
    counts = {}
    for total in (1, 3):
        PartnerFactory.create_batch(total - Partner.objects.count(), region=Region.LONDON)
        PartnerMembershipFactory.create_batch(2, partner=Partner.objects.order_by("-pk").first())
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("partners:list"), {"region": Region.LONDON, "q": "partner"})
        assert len(response.context["page"].object_list) == total
        counts[total] = len(captured)

    assert counts[1] == counts[3]


def test_partner_list_links_to_add_a_partner(client, team):
    html = client.get(reverse("partners:list")).content.decode()

    assert f'href="{reverse("partners:create")}"' in html


def test_partner_list_is_for_the_programme_team_only(client):
    client.force_login(PartnerMembershipFactory(is_admin=True).user)

    assert client.get(reverse("partners:list")).status_code == 403


def test_partner_list_filter_form_keeps_the_csrf_token_out_of_the_address(client, team):
    PartnerFactory.create_batch(26)

    html = client.get(reverse("partners:list")).content.decode()

    filter_form = html[
        html.index('<form method="get"') : html.index("</form>", html.index('<form method="get"'))
    ]
    assert "csrfmiddlewaretoken" not in filter_form
    assert 'href="?page=2" rel="next"' in html
