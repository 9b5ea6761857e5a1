"""The claims pages through the test client: the entry screen (search, preview, save, bad
input inline, duplicates), the claim page (void, adjust, attachments), the list with
totals, the import page and payment runs; who may see what."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts import services as members
from accounts.models import Employee
from claims import selectors
from claims.models import Claim, ClaimAttachment
from tests.factories import (
    UserFactory,
    celery_eager,
    claims_family,
    enter_claim,
    retained_marriage,
)
from vesting.models import Posting, Transaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager():
    with celery_eager():
        yield


D = Decimal
HTMX = {"HTTP_HX_REQUEST": "true"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def family():
    return claims_family()


def form(policyholder, **changes):
    values = {
        "employee": policyholder.pk,
        "patient": "",
        "date_of_service": "10/15/1984",
        "provider": "Ukiah Valley Medical Center",
        "admin_claim_number": "P-1",
        "billed": "150.00",
        "allowed": "120.00",
    }
    values.update(changes)
    return values


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- The entry screen -------------------------------------------------------------------------


def test_entry_page_is_for_clerks(clerk_client, superintendent_client, employee_client):
    assert clerk_client.get("/claims/enter/").status_code == 200
    # An id that is not one (a superscript two passes str.isdigit) opens no family.
    odd = clerk_client.get("/claims/enter/", {"employee": "²", "saved": "²"})
    assert odd.status_code == 200 and "Find the employee" in text(odd)
    assert "(employee)</option>" not in text(odd)
    assert superintendent_client.get("/claims/enter/").status_code == 403
    assert employee_client.get("/claims/enter/").status_code == 403


def test_search_as_you_type_finds_the_family_and_one_match_opens_it(clerk_client, family):
    employee, _, _ = family
    response = clerk_client.get("/claims/enter/employees/", {"q": "cast"}, **HTMX)
    assert f"/claims/enter/?employee={employee.pk}" in response.content.decode()
    assert "Castillo, Linda" in text(response)
    assert "No employee matches" in text(clerk_client.get("/claims/enter/employees/", {"q": "zzz"}))
    response = clerk_client.get("/claims/enter/", {"q": "castillo lin"})
    assert response.status_code == 302
    assert response["Location"] == f"/claims/enter/?employee={employee.pk}"


def test_family_form_offers_the_family_as_patients(clerk_client, family):
    employee, spouse, child = family
    html = text(clerk_client.get("/claims/enter/", {"employee": employee.pk}))
    assert "Linda Castillo (employee)" in html
    assert f'<option value="{spouse.pk}">Ramon Castillo (spouse)</option>' in html
    assert f'<option value="{child.pk}">Sofia Castillo (child)</option>' in html
    assert 'name="patient" id="id_patient" class="usa-select" autofocus' in html
    assert 'hx-sync="this:replace"' in html


def test_family_form_lists_current_patients_first_and_names_when_the_others_left(
    clerk_client, family
):
    employee, spouse, child = family
    members.dependent_remove(dependent=spouse, ended_on=date(1984, 9, 30), reason="Divorce")
    html = clerk_client.get("/claims/enter/", {"employee": employee.pk}).content.decode()
    options = re.findall(r'<option value="(\d*)"[^>]*>([^<]*)</option>', html)
    assert options[:3] == [
        ("", "Linda Castillo (employee)"),
        (str(child.pk), "Sofia Castillo (child)"),
        (str(spouse.pk), "Ramon Castillo (spouse, left the policy 1984-09-30)"),
    ]


def test_R_CL3_preview_shows_the_family_deductible_and_the_split(clerk_client, family):
    employee, _, _ = family
    enter_claim(employee, D("450.00"))
    html = text(clerk_client.post("/claims/enter/preview/", form(employee), **HTMX))
    assert "Family deductible 1984-85" in html
    assert '<dd id="deductible-used">$450.00</dd>' in html
    assert '<dd id="deductible-remaining">$50.00</dd>' in html
    assert '<dd id="split-trust-fund">$50.00</dd>' in html
    assert '<dd id="split-carrier">$70.00</dd>' in html
    assert Claim.objects.count() == 1


def test_preview_before_the_amounts_are_typed_says_what_is_missing(clerk_client, family):
    employee, _, _ = family
    html = text(
        clerk_client.post("/claims/enter/preview/", form(employee, billed="", allowed=""), **HTMX)
    )
    assert "To see the split, enter the billed, allowed." in html
    assert "Family deductible 1984-85" in html


def test_R_CL4_preview_shows_a_denial_with_its_reason(clerk_client, family):
    employee, _, _ = family
    html = text(
        clerk_client.post(
            "/claims/enter/preview/", form(employee, date_of_service="07/15/1983"), **HTMX
        )
    )
    assert "Will be denied:</strong> No coverage on the date of service." in html


def test_save_keeps_the_family_clears_the_claim_and_focuses_the_date(clerk_client, family):
    employee, spouse, _ = family
    response = clerk_client.post("/claims/enter/", form(employee, patient=spouse.pk), **HTMX)
    assert response.status_code == 200
    html = text(response)
    claim = Claim.objects.get()
    assert (
        f'Saved <a class="usa-link" href="/claims/{claim.pk}/">claim {claim.pk}</a> (P-1) for Ramon Castillo'
        in html
    )
    assert "trust fund <strong>$120.00</strong>" in html
    assert f'<option value="{spouse.pk}" selected>' in html  # the patient is kept
    assert 'name="date_of_service"' in html and "autofocus" in html
    assert 'value="10/15/1984"' not in html and 'value="P-1"' not in html  # cleared
    assert '<dd id="deductible-used">$120.00</dd>' in html
    # The family's claims under the form: the deductible and the claim just saved.
    assert "Deductible used $120.00 of $500.00; <strong>$380.00</strong> remains." in html
    assert f'<tbody id="family-claim-{claim.pk}">' in html
    # The whole family is offered again for the next claim.
    assert "Linda Castillo (employee)</option>" in html
    assert "Sofia Castillo (child)</option>" in html


def test_R_EL11_a_spouse_s_screen_lists_her_own_family_beside_the_retained_family_s_split(
    clerk_client, family
):
    """Grace's claims go to Robert's family (R-EL11: his policy is retained); her screen
    previews the split against his deductible, and lists her own family's claims with
    her family's deductible (the plan year 1984-85 comes with ``family``)."""
    husband, wife = retained_marriage()
    enter_claim(husband, D("400.00"))
    first = form(wife, admin_claim_number="G-1", billed="300.00", allowed="300.00")
    assert "saved-claim" in text(clerk_client.post("/claims/enter/", first, **HTMX))
    # The same visit again: a possible duplicate, shown on Grace's screen.
    html = text(clerk_client.post("/claims/enter/", {**first, "admin_claim_number": "G-2"}, **HTMX))
    assert "This claim may be a duplicate: nothing was saved" in html
    assert '<dd id="deductible-used">$500.00</dd>' in html  # Robert's family: 400 + 100
    assert "Deductible used $0.00 of $500.00; <strong>$500.00</strong> remains." in html
    assert "No claims for 1984-85 yet." in html


def test_save_without_htmx_redirects_back_to_the_family(clerk_client, family):
    employee, _, _ = family
    response = clerk_client.post("/claims/enter/", form(employee))
    claim = Claim.objects.get()
    assert response.status_code == 302
    assert (
        response["Location"] == f"/claims/enter/?employee={employee.pk}&patient=&saved={claim.pk}"
    )
    assert "Saved" in text(clerk_client.get(response["Location"]))


BAD = [
    ({"billed": "100.00", "allowed": "120.00"}, "cannot be more than the billed amount $100.00"),
    ({"billed": "0", "allowed": "0"}, "The billed amount must be more than $0.00."),
    ({"billed": "-5", "allowed": "-5"}, "The allowed amount must be more than $0.00."),
    ({"billed": "abc"}, "Enter the billed amount in dollars and cents, like 125.00."),
    ({"allowed": "12.345"}, "The allowed amount has more than two decimals"),
    (
        {"billed": "2000000", "allowed": "1000000.01"},
        "above the carrier&#x27;s maximum of $1,000,000.00",
    ),
    ({"date_of_service": "01/01/2999"}, "The date of service cannot be in the future."),
    ({"date_of_service": "06/01/1983"}, "The date of service is before Linda Castillo was hired"),
    ({"date_of_service": "13/45/1984"}, "Enter a date such as 10/15/1984 or 1984-10-15."),
    ({"patient": "999999"}, "Unknown patient 999999."),
    ({"employee": "999999"}, "Choose the employee"),
]


@pytest.mark.parametrize(("changes", "message"), BAD)
def test_bad_input_shows_an_inline_message_and_posts_nothing(
    clerk_client, family, changes, message
):
    employee, _, _ = family
    before = (Claim.objects.count(), Transaction.objects.count(), Posting.objects.count())
    response = clerk_client.post("/claims/enter/", form(employee, **changes))
    html = text(response)
    assert response.status_code in (400, 200)
    assert message in html
    if "employee" not in changes:
        assert "usa-error-message" in html
        assert "There is a problem: nothing was saved" in html or "There are problems" in html
    assert (Claim.objects.count(), Transaction.objects.count(), Posting.objects.count()) == before


def test_a_patient_from_another_family_is_an_inline_error(clerk_client, family):
    employee, _, _ = family
    _, stranger, _ = claims_family(first_name="Ana", last_name="Rivera")
    response = clerk_client.post("/claims/enter/", form(employee, patient=stranger.pk), **HTMX)
    assert "is not in the family of Linda Castillo" in text(response)
    assert Claim.objects.count() == 0


def test_duplicate_warns_and_save_anyway_saves(clerk_client, family):
    employee, _, _ = family
    first = enter_claim(employee, D("120.00"), number="P-1")
    response = clerk_client.post("/claims/enter/", form(employee, allowed="80.00"), **HTMX)
    html = text(response)
    assert "This claim may be a duplicate: nothing was saved" in html
    assert f"Claim {first.pk}</a> (number P-1" in html
    assert "Save anyway" in html
    assert Claim.objects.count() == 1
    response = clerk_client.post(
        "/claims/enter/", form(employee, allowed="80.00", confirm_duplicate="on"), **HTMX
    )
    assert "Saved" in text(response)
    assert Claim.objects.filter(duplicate_of=first).count() == 1


# --- The claim page -----------------------------------------------------------------------------


def test_claim_page_shows_split_ledger_and_audit(clerk_client, family):
    employee, _, _ = family
    claim = enter_claim(employee, D("120.00"))
    html = text(clerk_client.get(f"/claims/{claim.pk}/"))
    assert f"Claim {claim.pk}: Paid" in html
    assert f'href="/funds/transactions/{claim.payment_transaction_id}/"' in html
    assert "Audit trail" in html and "Entered" in html


def test_claim_page_shows_the_family_patient_payee_duplicate_and_who_voided(
    clerk_client, clerk_user, family
):
    employee, spouse, _ = family
    first = enter_claim(employee, D("120.00"), number="P-1")
    claim = enter_claim(employee, D("80.00"), number="P-1", patient=spouse, confirm_duplicate=True)
    assert claim.duplicate_of_id == first.pk
    response = clerk_client.post(f"/claims/{claim.pk}/void/", {"void-reason": "Billed twice"})
    assert response.status_code == 302
    html = text(clerk_client.get(f"/claims/{claim.pk}/"))
    assert f"Claim {claim.pk}: Voided" in html
    assert "by clerk1: Billed twice" in html
    assert (
        f'Entered although it looked like <a class="usa-link" href="/claims/{first.pk}/">'
        f"claim {first.pk}</a>"
    ) in html
    assert f"Castillo, Linda</a> · {employee.number} · {employee.employer.name}" in html
    assert "Ramon Castillo (spouse)" in html
    assert "Paid to (payee)</th><td>Ukiah Valley Medical Center</td>" in html


def test_the_claims_payee_is_read_with_its_bank_account_decrypted(clerk_user, family):
    employee, _, _ = family
    claim = enter_claim(employee, D("120.00"))
    payee = claim.payee
    payee.routing_number, payee.account_number = "121000358", "000123456789"
    payee.save()
    read = selectors.claim_get_for_user(clerk_user, claim.pk)
    assert read.payee.account_number == "000123456789"
    assert read.payee.account_masked == "****6789"
    read.payee.save()  # saved back as read: encrypted once, not twice
    payee.refresh_from_db()
    assert payee.account_number == "000123456789"


def test_void_needs_a_reason_then_voids_and_shows_who(clerk_client, clerk_user, family):
    employee, _, _ = family
    claim = enter_claim(employee, D("120.00"))
    response = clerk_client.post(f"/claims/{claim.pk}/void/", {"void-reason": ""})
    assert response.status_code == 400
    assert "Give the reason for the void." in text(response)
    response = clerk_client.post(f"/claims/{claim.pk}/void/", {"void-reason": "Billed twice"})
    assert response.status_code == 302
    html = text(clerk_client.get(f"/claims/{claim.pk}/"))
    assert f"Claim {claim.pk}: Voided" in html
    assert "Voided: Billed twice." in html
    assert "clerk1" in html
    response = clerk_client.post(f"/claims/{claim.pk}/void/", {"void-reason": "Again"})
    assert response.status_code == 400  # the form is gone, but a forged POST is refused


def test_adjust_from_the_claim_page(clerk_client, family):
    employee, _, _ = family
    claim = enter_claim(employee, D("120.00"), billed=D("200.00"))
    response = clerk_client.post(
        f"/claims/{claim.pk}/adjust/", {"adjust-allowed": "250.00", "adjust-reason": "Appeal"}
    )
    assert response.status_code == 400
    assert "cannot be more than the billed amount" in text(response)
    response = clerk_client.post(
        f"/claims/{claim.pk}/adjust/", {"adjust-allowed": "180.00", "adjust-reason": "Appeal"}
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.allowed, claim.trust_fund_amount) == (D("180.00"), D("180.00"))
    assert "Allowed amount changed from $120.00 to $180.00: Appeal." in text(
        clerk_client.get(f"/claims/{claim.pk}/")
    )


def test_readers_see_the_claim_page_without_the_forms(
    superintendent_client, payroll_client, family
):
    employee, _, _ = family
    claim = enter_claim(employee, D("120.00"))
    html = text(superintendent_client.get(f"/claims/{claim.pk}/"))
    assert "Void the claim" not in html
    assert (
        superintendent_client.post(f"/claims/{claim.pk}/void/", {"void-reason": "x"}).status_code
        == 403
    )
    assert payroll_client.get(f"/claims/{claim.pk}/").status_code == 403


# --- Attachments -----------------------------------------------------------------------------------


def test_attachments_upload_and_who_may_download(
    clerk_client, superintendent_client, payroll_client, family, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    employee, _, _ = family
    owner = UserFactory(username="linda", role="employee")
    employee.user = owner
    employee.save(update_fields=["user"])
    claim = enter_claim(employee, D("120.00"))

    response = clerk_client.post(
        f"/claims/{claim.pk}/attachments/",
        {"attach-file": SimpleUploadedFile("eob.exe", b"MZ\x90\x00binary", "application/pdf")},
    )
    assert response.status_code == 400
    assert "Only PDF, PNG and JPEG files can be attached" in text(response)
    response = clerk_client.post(
        f"/claims/{claim.pk}/attachments/",
        {"attach-file": SimpleUploadedFile("EOB October.pdf", PDF, "application/pdf")},
    )
    assert response.status_code == 302
    attachment = ClaimAttachment.objects.get()
    assert attachment.content_type == "application/pdf"
    assert "EOB" not in attachment.file.name  # stored under a random name
    url = f"/claims/attachments/{attachment.pk}/"
    assert "EOB October.pdf" in text(clerk_client.get(f"/claims/{claim.pk}/"))

    for client in (clerk_client, superintendent_client):
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["X-Content-Type-Options"] == "nosniff"
    own = Client()
    own.force_login(owner)
    assert own.get(url).status_code == 200
    assert own.get(f"/claims/{claim.pk}/").status_code == 200
    stranger = Client()
    other_user = UserFactory(username="ana", role="employee")
    _other, _, _ = claims_family(first_name="Ana", last_name="Rivera", user=other_user)
    stranger.force_login(other_user)
    assert stranger.get(url).status_code == 404
    assert stranger.get(f"/claims/{claim.pk}/").status_code == 404
    assert payroll_client.get(url).status_code == 403
    assert Client().get(url).status_code == 302  # to the login page
    assert not settings.MEDIA_URL.startswith("/claims")


def test_an_attachment_over_10_mb_is_refused(clerk_client, family, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    employee, _, _ = family
    claim = enter_claim(employee, D("120.00"))
    big = PDF + b"0" * (10 * 1024 * 1024)
    response = clerk_client.post(
        f"/claims/{claim.pk}/attachments/",
        {"attach-file": SimpleUploadedFile("big.pdf", big, "application/pdf")},
    )
    assert "larger than 10 MB" in text(response)
    assert ClaimAttachment.objects.count() == 0


# --- The list ----------------------------------------------------------------------------------------


def test_list_filters_and_totals(superintendent_client, family, django_assert_max_num_queries):
    employee, _, _ = family
    other, _, _ = claims_family(first_name="Ana", last_name="Rivera")
    enter_claim(employee, D("300.00"), number="L-1")
    enter_claim(employee, D("300.00"), number="L-2", provider="Dr. Ames")
    enter_claim(other, D("80.00"), number="L-3", date_of_service=date(1985, 9, 1))
    with django_assert_max_num_queries(12):
        response = superintendent_client.get("/claims/")
    html = text(response)
    assert "Totals of the 3 claims found" in html
    assert '<td class="sw-money">680.00</td>' in html
    response = superintendent_client.get("/claims/", {"employee": "castillo"})
    html = text(response)
    assert "Totals of the 2 claims found" in html
    # 300 + 200 trust fund, 100 carrier.
    assert '<td class="sw-money">500.00</td>' in html and '<td class="sw-money">100.00</td>' in html
    html = text(superintendent_client.get("/claims/", {"policy_year": "1985-86"}))
    assert "Totals of the 1 claim found" in html and "L-3" in html
    html = text(
        superintendent_client.get("/claims/", {"date_from": "1985-01-01", "status": "paid"})
    )
    assert "Totals of the 1 claim found" in html


def test_employee_list_shows_only_their_family(family):
    employee, _, _ = family
    user = UserFactory(username="linda", role="employee")
    employee.user = user
    employee.save(update_fields=["user"])
    enter_claim(employee, D("100.00"), number="OWN-1")
    other, _, _ = claims_family(first_name="Ana", last_name="Rivera")
    enter_claim(other, D("100.00"), number="OTHER-1")
    client = Client()
    client.force_login(user)
    html = text(client.get("/claims/"))
    assert "OWN-1" in html and "OTHER-1" not in html


# --- Import ---------------------------------------------------------------------------------------------


HEADER = "admin_claim_number,employer_code,employee_number,patient,date_of_service,provider,billed,allowed\n"


def test_import_page_lists_every_bad_row_and_saves_nothing(clerk_client, family):
    employee, _, _ = family
    code, number = employee.employer.code, employee.number
    content = HEADER + (
        f"M-1,{code},{number},,1984-10-15,Dr. Ames,100.00,90.00\n"
        f"M-2,{code},{number},Nobody,1984-10-16,Dr. Ames,100.00,90.00\n"
        f"M-3,{code},99999,,1984-10-17,Dr. Ames,100.00,90.00\n"
        f"M-1,{code},{number},,2999-01-01,,x,90.00\n"
    )
    response = clerk_client.post(
        "/claims/import/", {"file": SimpleUploadedFile("c.csv", content.encode())}
    )
    html = text(response)
    assert response.status_code == 400
    assert "The file was rejected: nothing was saved" in html
    assert "Nobody is not in the family of Linda Castillo." in html
    assert "Unknown employee &#x27;99999&#x27;" in html
    assert "Claim number M-1 is also on row 2." in html
    assert "cannot be in the future" in html and "Enter the provider" in html
    assert Claim.objects.count() == 0


def test_import_page_queues_a_good_file_and_shows_its_progress(
    clerk_client, family, django_capture_on_commit_callbacks, eager
):
    employee, _, _ = family
    content = (
        HEADER
        + f"G-1,{employee.employer.code},{employee.number},,1984-10-15,Dr. Ames,100.00,90.00\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = clerk_client.post(
            "/claims/import/", {"file": SimpleUploadedFile("g.csv", content.encode())}
        )
    assert response.status_code == 302
    html = text(clerk_client.get(response["Location"]))
    assert "Import of g.csv" in html and "Finished" in html
    assert "<progress" in html
    assert Claim.objects.get().source == "import"


def test_import_template_download(clerk_client):
    response = clerk_client.get("/claims/import/template.csv")
    assert response["Content-Disposition"] == 'attachment; filename="claims-template.csv"'
    assert (
        response.content.decode().splitlines()[0]
        == HEADER.strip() + ",received_on,service_category"
    )


# --- Payment runs ------------------------------------------------------------------------------------


def test_payment_run_pages_and_registers(clerk_client, superintendent_client, family):
    employee, _, _ = family
    enter_claim(employee, D("100.00"), provider="Dr. Ames")
    enter_claim(employee, D("70.00"), provider="Mendocino Pharmacy")
    assert "Waiting: 2 payments to 2 payees, $170.00" in text(
        clerk_client.get("/claims/payment-runs/")
    )
    assert superintendent_client.post("/claims/payment-runs/").status_code == 403
    response = clerk_client.post("/claims/payment-runs/")
    assert response.status_code == 302 and response["Location"] == "/claims/payment-runs/1/"
    html = text(superintendent_client.get("/claims/payment-runs/1/"))
    assert "Check to Dr. Ames" in html and "Grand total: $170.00</strong> in 2 checks" in html
    csv_text = superintendent_client.get("/claims/payment-runs/1/register.csv").content.decode()
    assert csv_text.splitlines()[-1].endswith("grand total,170.00")
    pdf = superintendent_client.get("/claims/payment-runs/1/register.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_list_totals_count_a_voided_claim_but_add_nothing(superintendent_client, family):
    from claims import services

    employee, _, _ = family
    enter_claim(employee, D("300.00"), number="V-1")
    voided = enter_claim(employee, D("120.00"), number="V-2", provider="Dr. Ames")
    services.claim_void(claim=voided, reason="Billed twice")
    html = text(superintendent_client.get("/claims/"))
    assert "Totals of the 2 claims found" in html
    assert html.count('<td class="sw-money">300.00</td>') >= 3  # billed, allowed, trust fund
    assert '<td class="sw-money">420.00</td>' not in html


def test_family_year_claims_are_the_family_s_of_the_year_for_whoever_may_see_them(
    clerk_user, payroll_user, employee_user, family
):
    employee, spouse, _ = family
    first = enter_claim(employee, D("120.00"))
    second = enter_claim(employee, D("80.00"), patient=spouse)
    enter_claim(employee, D("40.00"), date_of_service=date(1985, 8, 1))  # another year
    enter_claim(claims_family(first_name="Maria")[0], D("60.00"))  # another family

    seen = selectors.family_year_claims(clerk_user, employee.pk, 1984)
    # The last entered first, each with its payee.
    assert [(c.pk, c.patient_name, c.trust_fund_amount) for c in seen] == [
        (second.pk, "Ramon Castillo", D("80.00")),
        (first.pk, "Linda Castillo", D("120.00")),
    ]
    assert {c.payee.name for c in seen} == {"Ukiah Valley Medical Center"}

    # An employee sees their own family's only; a role without claims sees none.
    assert selectors.family_year_claims(employee_user, employee.pk, 1984) == []
    Employee.objects.filter(user=employee_user).update(user=None)
    Employee.objects.filter(pk=employee.pk).update(user=employee_user)
    own = selectors.family_year_claims(employee_user, employee.pk, 1984)
    assert [c.pk for c in own] == [second.pk, first.pk]
    assert selectors.family_year_claims(payroll_user, employee.pk, 1984) == []
