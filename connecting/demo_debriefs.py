"""The demo's records of visits: preparation and joining instructions for the visits coming up, and
for the visits that happened, debriefs in every review state, the hosts' feedback, insights in the
learning library and the policy actions that came of them ("you said, we did").

Everything is written through the debrief services, as the participant, the host or the programme
team would, so the services' rules hold for the demo too: preparation only before a visit starts,
debriefs only from the visit day, feedback only once the visit has started, publication only with
the author's consent, and every text submitted passes the personal-data scan. The services stamp
the review steps with the time they run; the steps of a past visit are then dated back over the
days after it (and marked as notified then, as the visit history is), so no e-mail goes out now
about a review that happened weeks ago.

More past visits are added first, in the way `demo_placements` writes its history, so there are
enough visits for every state. Seeding again creates nothing: a visit is added only when the
participant has no past visit of that opportunity, and a booking that already has a debrief, a
preparation, joining instructions or feedback keeps it as it is.
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from connecting.demo_placements import (
    _admin_contact,
    seed_visit_history,
)
from debriefs.models import (
    Debrief,
    DebriefStatus,
    Insight,
    JoiningInstructions,
    PartnerFeedback,
    PolicyAction,
    PolicyActionStatus,
    Preparation,
    ReviewAction,
    SharingConsent,
    VisitorPrepared,
    WouldHostAgain,
)
from debriefs.services.debriefs import (
    ActionInput,
    debrief_approve,
    debrief_publish,
    debrief_request_changes,
    debrief_save,
    debrief_start_review,
    insight_draft_body,
    policy_action_create,
    policy_action_update,
)
from debriefs.services.feedback import partner_feedback_save
from debriefs.services.preparation import joining_instructions_save, preparation_save
from partners.models import PartnerMembership
from placements.models import (
    Booking,
    BookingStatus,
    Programme,
    Theme,
)

D = DebriefStatus
C = SharingConsent
P = PolicyActionStatus

# --- More visit history ------------------------------------------------------------------------------

# (participant e-mail local part, opportunity title, weeks ago, what happened), as
# demo_placements.VISIT_HISTORY: each participant's visits fall in weeks of their own.
DEBRIEF_VISIT_HISTORY = [
    ("aisha.rahman", "Day centre and outreach", 9, BookingStatus.ATTENDED),
    ("aisha.rahman", "Hospice at home", 1, BookingStatus.ATTENDED),
    ("grace.okafor", "A day with the discharge team", 8, BookingStatus.ATTENDED),
    ("grace.okafor", "Adult social care front door", 4, BookingStatus.ATTENDED),
    ("emma.jones", "Digital patient records in practice", 7, BookingStatus.ATTENDED),
    ("emma.jones", "General practice from the inside", 5, BookingStatus.ATTENDED),
    ("daniel.price", "Mental health and policing: street triage", 7, BookingStatus.ATTENDED),
    ("daniel.price", "Neighbourhood policing shift", 2, BookingStatus.ATTENDED),
    ("tom.whitaker", "Probation in the community", 8, BookingStatus.ATTENDED),
    ("fiona.mcleod", "Public health outreach online", 6, BookingStatus.ATTENDED),
    ("owen.griffiths", "Commissioning community services", 3, BookingStatus.ATTENDED),
]


# --- What the demo writes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoFeedback:
    prepared: VisitorPrepared
    value: int
    again: WouldHostAgain
    comments: str
    by: str = ""  # a partner contact's e-mail; the partner's admin contact when empty


@dataclass(frozen=True)
class DemoPolicyAction:
    description: str
    status: PolicyActionStatus = P.OPEN
    outcome: str = ""


@dataclass(frozen=True)
class DemoDebrief:
    who: str
    title: str
    status: DebriefStatus
    consent: SharingConsent | str
    usefulness: int | None
    texts: dict[str, str]
    themes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    # (what, who, due in days from today)
    actions: tuple[tuple[str, str, int], ...] = ()
    # The reviewer's request for changes, and what the author added when they answered it (an
    # addition to what_i_learnt). Without an addition, the debrief waits with the author.
    changes: str = ""
    addition: str = ""
    approval_comment: str = ""
    insight_title: str = ""
    policy_actions: tuple[DemoPolicyAction, ...] = ()
    feedback: DemoFeedback | None = None


@dataclass(frozen=True)
class DemoPreparation:
    who: str
    title: str
    submit: bool
    objectives: str
    questions: str
    policy_area: str = ""
    prior_knowledge: str = ""
    access_needs: str = ""
    # (where to go, who to ask for, timings, anything else), given by the host
    joining: tuple[str, str, str, str] | None = None


NORTHBRIDGE_COLLEAGUE = "liam.byrne@northbridge-nhs.example.org"

DEBRIEFS = [
    DemoDebrief(
        "aisha.rahman",
        "A day with the discharge team",
        D.PUBLISHED,
        C.NAMED,
        5,
        {
            "what_i_saw": "The 8am board round on a frailty ward, where eleven of the twenty-eight patients were "
            "medically fit to leave. Then the transfer of care hub, where nurses, social workers and "
            "the council's brokerage team work from one room.",
            "what_i_learnt": "Most delays were not about hospital beds at all: they were waiting for a package of "
            "home care to start, or for a care home to come and assess someone before accepting them. "
            "Each care home sends its own assessor, so one patient can wait three or four days for "
            "visits that repeat the same questions.",
            "what_surprised_me": "How much of the coordinators' day goes on the phone chasing providers, and how "
            "little of it our discharge data shows: the delay is recorded against the hospital, not "
            "against the step that is actually waiting.",
            "what_works": "The hub itself. Having the council's brokers next to the ward coordinators cut the "
            "time from 'medically fit' to a care offer by about a day, the team told me.",
            "what_does_not_work": "Short-term funding. The hub's social workers are on contracts that end in "
            "March, and two have already left for permanent posts.",
            "policy_implications": "A trusted assessor, accepted by every care home in the area, would remove the "
            "repeat assessments. Our guidance allows it but does not make it expected, and the "
            "discharge fund is too short-term to build a stable team around it.",
        },
        themes=("hospital-discharge-and-patient-flow", "adult-social-care", "integrated-care"),
        tags=("trusted assessor", "discharge to assess", "care packages"),
        actions=(
            ("Share the hub's weekly delay breakdown with the discharge analysts", "Me", 21),
            ("Brief the deputy director for social care on the assessor findings", "Me", 35),
        ),
        approval_comment="A clear, well-evidenced debrief. Thank you.",
        insight_title="Repeat care home assessments keep medically fit patients in hospital",
        policy_actions=(
            DemoPolicyAction(
                "Test a trusted assessor model, accepted by all care homes in an area, with two integrated "
                "care boards this winter.",
                P.DONE,
                "We wrote the trusted assessor model into this winter's discharge guidance and funded two "
                "integrated care boards, including the one the trust belongs to, to run it. Care homes in "
                "both areas now accept a single shared assessment, and the first month's figures show "
                "fewer days waiting for a placement.",
            ),
        ),
        feedback=DemoFeedback(
            VisitorPrepared.YES,
            5,
            WouldHostAgain.YES,
            "Aisha came with sharp questions about funding and stayed for the afternoon escalation call. "
            "The team valued being heard by someone who writes the guidance.",
        ),
    ),
    DemoDebrief(
        "aisha.rahman",
        "Emergency department shift",
        D.CHANGES_REQUESTED,
        C.ANONYMISED,
        4,
        {
            "what_i_saw": "An afternoon from triage to the handover bay. Four ambulances were queued outside at "
            "one point, and the nurse in charge was moving patients into the corridor to release crews.",
            "what_i_learnt": "Ambulance handover delays start upstairs: when the wards cannot discharge by "
            "midday, the department fills up by mid-afternoon. An older patient on a trolley had been "
            "in the corridor for nine hours waiting for a bed on the respiratory ward.",
            "what_works": "The rapid assessment and treatment area, where a senior doctor sees ambulance "
            "arrivals first.",
            "what_does_not_work": "Corridor care has become routine, and staff worry it is now seen as normal.",
        },
        themes=("acute-and-emergency-care", "hospital-discharge-and-patient-flow"),
        tags=("ambulance handover", "corridor care"),
        changes="Thank you. Please take out the description of the patient on the trolley: even without a "
        "name, the ward, the time and the condition together could identify them. Could you also say "
        "what the handover figures were that afternoon?",
        feedback=DemoFeedback(
            VisitorPrepared.PARTLY,
            4,
            WouldHostAgain.YES,
            "A busy afternoon to visit, and the visitor coped well. A little more reading beforehand on how "
            "the four-hour standard is measured would have helped.",
            by=NORTHBRIDGE_COLLEAGUE,
        ),
    ),
    DemoDebrief(
        "aisha.rahman",
        "Day centre and outreach",
        D.IN_REVIEW,
        C.ANONYMISED,
        4,
        {
            "what_i_saw": "Breakfast at the day centre, then an outreach shift from six in the morning with two "
            "workers checking on people sleeping in doorways and car parks along the quayside.",
            "what_i_learnt": "People sleeping rough are discharged from hospital with nowhere to go more often than "
            "I had understood. The charity's workers spend time every week trying to find out from a "
            "ward when someone is due to leave.",
            "what_works": "The housing first team: a tenancy first, with support that does not end when a "
            "person misses an appointment.",
            "what_does_not_work": "There is no routine way for a hospital to tell the outreach team that someone "
            "with no fixed address is about to be discharged.",
            "policy_implications": "The duty to refer under the homelessness legislation applies to hospitals, but "
            "the referrals arrive late or not at all. Discharge guidance could say what good looks like.",
        },
        themes=("housing-and-homelessness", "hospital-discharge-and-patient-flow", "health-inequalities"),
        tags=("duty to refer", "housing first"),
        feedback=DemoFeedback(
            VisitorPrepared.YES,
            4,
            WouldHostAgain.YES,
            "Came on the early shift without complaint and listened more than she talked. Our outreach team "
            "would welcome a return visit.",
        ),
    ),
    DemoDebrief(
        "aisha.rahman",
        "Hospice at home",
        D.DRAFT,
        "",
        None,
        {
            "what_i_saw": "Three home visits with the hospice at home nurses in the rural north of the area, and the "
            "weekly multidisciplinary meeting.",
            "what_i_learnt": "Notes so far: overnight cover is the gap. Families ask most for someone to sit with "
            "their relative at night, and it is the hardest shift to staff.",
        },
        themes=("end-of-life-care",),
        feedback=DemoFeedback(
            VisitorPrepared.YES,
            4,
            WouldHostAgain.YES,
            "A thoughtful visitor, sensitive with families. Happy to host again in the spring.",
        ),
    ),
    DemoDebrief(
        "tom.whitaker",
        "A day in a care home",
        D.PUBLISHED,
        C.ANONYMISED,
        5,
        {
            "what_i_saw": "A day in a sixty-bed residential and nursing home: the morning handover, lunch with "
            "residents, and an afternoon with the registered manager going through the staffing rota.",
            "what_i_learnt": "Almost a third of the night shifts were covered by agency staff, at nearly twice the "
            "cost of the home's own carers. The home recruits from overseas, but each new carer takes "
            "months to arrive and some leave within the year for better-paid hospital jobs.",
            "what_surprised_me": "How much the manager knew about every resident, and how little time the "
            "paperwork leaves her to use it.",
            "what_works": "Pairing each new carer with an experienced one for their first month; the home says it "
            "has halved early leavers.",
            "what_does_not_work": "Agency rates are set by whoever is short that week; the home has no way to plan "
            "its costs.",
            "policy_implications": "Workforce plans for social care should count the agency spend, not only "
            "vacancies. Pay parity with NHS healthcare assistants is the question every manager raises.",
        },
        themes=("adult-social-care", "workforce"),
        tags=("agency staff", "international recruitment", "pay parity"),
        approval_comment="Approved. The agency figures are exactly what the workforce team has been missing.",
        insight_title="Agency night shifts are the hidden cost in care home staffing",
        policy_actions=(
            DemoPolicyAction(
                "Ask the workforce analysts to add agency spend to the care workforce monitoring returns.",
                P.IN_PROGRESS,
            ),
        ),
        feedback=DemoFeedback(
            VisitorPrepared.YES,
            5,
            WouldHostAgain.YES,
            "Tom rolled his sleeves up at lunch and the residents enjoyed meeting him. It meant a lot to the "
            "staff that a director asked about their pay.",
        ),
    ),
    DemoDebrief(
        "tom.whitaker",
        "Probation in the community",
        D.APPROVED,
        C.NAMED,
        4,
        {
            "what_i_saw": "Two supervision appointments, with the consent of the people supervised, and a "
            "multi-agency meeting with housing, drug treatment and the local youth offending service.",
            "what_i_learnt": "The move from the youth offending service to adult probation at eighteen is a cliff "
            "edge. A young adult goes from a small caseload with a lot of contact to a much larger one, "
            "often with a new worker who has not met them.",
            "what_works": "A joint transition meeting six months before the eighteenth birthday, which the unit "
            "runs with the youth offending service when both sides have the time.",
            "what_does_not_work": "Social care support for care leavers and probation supervision are planned "
            "separately, so appointments clash and people fall between them.",
            "policy_implications": "Care leavers on probation need one plan. Our leaving care guidance could "
            "name probation as a partner in pathway planning.",
        },
        themes=("justice-and-rehabilitation", "children-and-young-people", "housing-and-homelessness"),
        tags=("transition to adult services", "care leavers", "youth offending"),
        approval_comment="Approved for the library; the programme team will publish it after the next "
        "editorial meeting.",
        policy_actions=(
            DemoPolicyAction(
                "Raise probation's role in pathway planning with the children's social care policy team."
            ),
        ),
        feedback=DemoFeedback(
            VisitorPrepared.YES,
            4,
            WouldHostAgain.MAYBE,
            "A good visit. Supervision appointments are hard to arrange with visitors present, so we would "
            "prefer future visitors to join the multi-agency meeting only.",
        ),
    ),
    DemoDebrief(
        "daniel.price",
        "Community crisis team",
        D.APPROVED,
        C.TEAM_ONLY,
        5,
        {
            "what_i_saw": "The morning safety huddle and three home visits with the crisis resolution and home "
            "treatment team.",
            "what_i_learnt": "The team is holding people at home who would once have been admitted, because there "
            "are no inpatient beds in the county. Staff described it as safe but only just.",
            "what_does_not_work": "Out-of-area placements: when a bed is needed, it is often two hundred miles "
            "away, and families cannot visit.",
            "policy_implications": "The bed numbers we publish do not show how much risk the crisis teams carry "
            "instead. I would like to keep this debrief within the team while the estates review runs.",
        },
        themes=("mental-health",),
        tags=("out of area placements", "crisis care"),
        approval_comment="Approved, and kept within the programme team as you asked.",
        policy_actions=(
            DemoPolicyAction(
                "Share the crisis team's caseload figures with the mental health estates review."
            ),
        ),
    ),
    DemoDebrief(
        "daniel.price",
        "Mental health and policing: street triage",
        D.PUBLISHED,
        C.NAMED,
        5,
        {
            "what_i_saw": "An evening in the street triage car with a mental health nurse and a police officer, "
            "and an hour in the force control room.",
            "what_i_learnt": "Most calls were people in distress who needed a mental health response rather than "
            "a police one. With a nurse in the car, officers used their detention powers far less: the "
            "nurse could check records and arrange an assessment at home.",
            "what_surprised_me": "How long officers wait with someone in the emergency department when there is "
            "no health-based place of safety free: one pair of officers had been there five hours.",
            "what_works": "Joint triage in the control room: the nurse listens to calls and advises before a "
            "car is sent.",
            "what_does_not_work": "The scheme is funded year to year by the police, and the trust cannot recruit "
            "nurses to posts that may end.",
            "policy_implications": "As police step back from mental health calls, the health response has to be "
            "there first. Crisis funding should follow the calls, with recurrent money for joint triage.",
        },
        themes=("mental-health", "policing-and-community-safety"),
        tags=("street triage", "places of safety", "right care right person"),
        changes="Could you say what the control room told you about how many calls the nurse handles in a "
        "shift? The figure would help readers outside mental health.",
        addition="The control room told me the nurse advises on around a dozen calls in a typical evening, "
        "and about half of them end without a police car being sent.",
        approval_comment="Thank you for the figures. Approved.",
        insight_title="A nurse in the control room keeps people in distress out of police cells",
        policy_actions=(
            DemoPolicyAction(
                "Make the case for recurrent funding of joint mental health and police triage in the next "
                "crisis care allocation.",
                P.DONE,
                "Joint triage is now a named use of the recurrent crisis care allocation from April, and the "
                "guidance to integrated care boards describes the control room model seen on this visit.",
            ),
        ),
        feedback=DemoFeedback(
            VisitorPrepared.YES,
            5,
            WouldHostAgain.YES,
            "Daniel stayed until the end of the shift and asked the control room the right questions. Our "
            "nurses were glad to show what joint triage does.",
        ),
    ),
    DemoDebrief(
        "daniel.price",
        "Neighbourhood policing shift",
        D.SUBMITTED,
        C.TEAM_ONLY,
        3,
        {
            "what_i_saw": "An afternoon and evening with a neighbourhood team: a partnership meeting on "
            "anti-social behaviour, a patrol of the town centre and a visit to the custody suite.",
            "what_i_learnt": "The neighbourhood officers spend a large part of their shift on welfare checks that "
            "another service has asked for. The custody sergeant said a third of the people brought in "
            "that week had a mental health need.",
            "what_does_not_work": "Information about vulnerable people is held by each agency separately, and "
            "the partnership meeting is the only place it comes together, once a month.",
        },
        themes=("policing-and-community-safety", "mental-health", "drugs-and-alcohol"),
        tags=("welfare checks", "custody"),
        feedback=DemoFeedback(
            VisitorPrepared.PARTLY,
            3,
            WouldHostAgain.YES,
            "A quiet shift for a visit, as it turned out. Happy to host again on a Friday night if the "
            "visitor wants to see the busier side of the job.",
        ),
    ),
    DemoDebrief(
        "grace.okafor",
        "A day with the discharge team",
        D.PUBLISHED,
        C.ANONYMISED,
        4,
        {
            "what_i_saw": "The board round, a family meeting about a move to a care home, and the afternoon with "
            "the transfer of care hub.",
            "what_i_learnt": "The discharge to assess model works well when there is a reablement place free; "
            "when there is not, people wait in hospital for an assessment that could happen at home.",
            "what_works": "Discharge planning that starts on the day of admission, with an expected date of "
            "discharge on the board from the first ward round.",
            "what_does_not_work": "Weekend discharges: the hub is staffed Monday to Friday, so patients fit on "
            "a Saturday often wait until Tuesday.",
            "policy_implications": "Seven-day working for discharge needs social care and transport on the same "
            "days as the hospital, or the weekend becomes the bottleneck.",
        },
        themes=("hospital-discharge-and-patient-flow", "integrated-care"),
        tags=("seven day services", "reablement"),
        approval_comment="Approved.",
        insight_title="Without weekend social care, discharge waits for Monday",
        feedback=DemoFeedback(
            VisitorPrepared.YES,
            4,
            WouldHostAgain.YES,
            "Well prepared and good company on a long day.",
        ),
    ),
    DemoDebrief(
        "grace.okafor",
        "Adult social care front door",
        D.SUBMITTED,
        C.NAMED,
        4,
        {
            "what_i_saw": "The council's contact centre, a needs assessment in a resident's home, and the "
            "brokerage team finding a provider for a package of care.",
            "what_i_learnt": "Many calls to the adult social care front door are really about housing: a flat "
            "on the fourth floor with a broken lift, or a bathroom that needs adapting before someone "
            "can come home from hospital.",
            "what_works": "An occupational therapist at the front door, who can order equipment the same day.",
            "what_does_not_work": "Disabled facilities grant adaptations take months, and council housing "
            "transfers longer still.",
        },
        themes=("adult-social-care", "housing-and-homelessness"),
        tags=("home adaptations", "council housing"),
        changes="Could you add what the housing options team told you about temporary accommodation? Readers "
        "in the housing department have asked about it.",
        addition="The housing options team said families in temporary accommodation often live far from their "
        "support, so care packages are harder to arrange and are more often cancelled.",
        policy_actions=(
            DemoPolicyAction(
                "Bring the housing adaptation delays to the next joint meeting with the housing department."
            ),
        ),
    ),
    DemoDebrief(
        "emma.jones",
        "Digital patient records in practice",
        D.PUBLISHED,
        C.NAMED,
        4,
        {
            "what_i_saw": "A ward round on tablets with the electronic patient record, and a meeting with the "
            "chief clinical information officer.",
            "what_i_learnt": "The record works well inside the hospital but stops at its walls: the discharge "
            "summary still goes to the care home on paper, and care home staff retype it.",
            "what_works": "Clinicians built the ward round screens themselves, and they are used.",
            "what_does_not_work": "Logging in. Staff sign in dozens of times a shift, and the ward shares too "
            "few devices.",
            "policy_implications": "Shared care records should reach social care providers. Our workforce model "
            "also undercounts the nursing time that goes on systems.",
        },
        themes=("digital-data-and-technology", "adult-social-care", "workforce"),
        tags=("shared care record", "discharge summaries"),
        approval_comment="Approved. A useful link between digital and workforce.",
        insight_title="The patient record stops at the hospital door",
        policy_actions=(
            DemoPolicyAction(
                "Ask the digital social care team to include care homes in the shared care record pilot.",
                P.DONE,
                "Care homes are now in the shared care record pilot in the trust's area: discharge summaries "
                "reach the homes electronically, and staff no longer retype them.",
            ),
        ),
        feedback=DemoFeedback(
            VisitorPrepared.YES,
            4,
            WouldHostAgain.YES,
            "An analyst who understood the data questions better than most. The clinical informatics team "
            "enjoyed the visit.",
        ),
    ),
    DemoDebrief(
        "emma.jones",
        "General practice from the inside",
        D.IN_REVIEW,
        C.TEAM_ONLY,
        4,
        {
            "what_i_saw": "The reception team at eight in the morning, a GP triage session and an afternoon "
            "with a social prescribing link worker.",
            "what_i_learnt": "Demand peaks in the first hour, and the practice now triages every request "
            "online or by phone before booking. The social prescribing link worker sees many people "
            "whose main problem is loneliness or debt.",
            "what_does_not_work": "Our workforce model counts GPs and nurses but not the new roles, so it "
            "misses a good part of what the practice now offers.",
        },
        themes=("primary-care", "workforce", "public-health-and-prevention"),
        tags=("social prescribing", "additional roles"),
    ),
    DemoDebrief(
        "fiona.mcleod",
        "Public health outreach online",
        D.CHANGES_REQUESTED,
        C.NAMED,
        3,
        {
            "what_i_saw": "The public health team's stand-up and an online community engagement session on "
            "vaccination with faith and community leaders.",
            "what_i_learnt": "Trust matters more than information: uptake rose where a local leader hosted a "
            "clinic, not where leaflets went out.",
        },
        themes=("public-health-and-prevention", "health-inequalities"),
        tags=("vaccination uptake", "community champions"),
        changes="Thank you. Could you say more about what did not work, and what it means for the primary "
        "care vaccination programme? Two lines on each would be enough.",
        feedback=DemoFeedback(
            VisitorPrepared.YES,
            3,
            WouldHostAgain.YES,
            "An online visit works for this team, though the visitor would see more in person at one of our "
            "community clinics.",
        ),
    ),
    DemoDebrief(
        "owen.griffiths",
        "Commissioning community services",
        D.DRAFT,
        C.ANONYMISED,
        3,
        {
            "what_i_saw": "A contract review of community nursing and a planning meeting with local providers.",
            "what_i_learnt": "Providers report against different measures for each commissioner, so nobody "
            "can compare services. The data team spends weeks each quarter reconciling returns.",
        },
        themes=("integrated-care", "digital-data-and-technology"),
        feedback=DemoFeedback(
            VisitorPrepared.YES,
            4,
            WouldHostAgain.YES,
            "Interested in the data side, which our team rarely gets asked about.",
        ),
    ),
]

PREPARATIONS = [
    DemoPreparation(
        "fiona.mcleod",
        "General practice from the inside",
        True,
        "See how the practice manages demand at eight in the morning, and how the additional roles "
        "share the work with GPs.",
        "What changed when you moved to total triage? Which new roles have made the most difference, and "
        "which are hard to recruit to?",
        policy_area="primary-care",
        prior_knowledge="I lead on the primary care access recovery plan, so I know the policy but not how it "
        "feels at reception.",
        joining=(
            "The main entrance on Meadow Lane. Sign in at reception; there is no parking on site.",
            "The practice manager",
            "Arrive by 7.45am for the reception huddle. The day ends at 4pm.",
            "Please wear your visitor badge at all times and do not enter consulting rooms unless invited.",
        ),
    ),
    DemoPreparation(
        "sanjay.patel",
        "Hospice at home",
        True,
        "Understand how hospice at home care is arranged and funded, and what stops more people dying at "
        "home when that is their wish.",
        "How much of your funding comes from the NHS, and how is it agreed? Where do out-of-hours calls go? "
        "What would you change first?",
        policy_area="end-of-life-care",
        prior_knowledge="I have read the hospice sector's funding review and the end of life care statutory "
        "guidance.",
        access_needs="None.",
        joining=(
            "The hospice's main reception. The community team leaves from the day services entrance.",
            "The hospice at home team leader",
            "Meet at 9am for the morning handover; home visits from 10am; back by 4pm.",
            "Visits are by car with a nurse. Please bring a coat and comfortable shoes.",
        ),
    ),
    DemoPreparation(
        "daniel.price",
        "Community crisis team",
        False,
        "See the crisis team's day since the new all-age crisis line went live.",
        "How many calls come through the new line?",
        policy_area="mental-health",
    ),
    DemoPreparation(
        "fiona.mcleod",
        "A day in a care home",
        False,
        "Understand how the home works with its GP practice and the community nursing team.",
        "",
        policy_area="adult-social-care",
        joining=(
            "Oakfield Lane. Ring the bell at the front door; the home is locked for residents' safety.",
            "The registered manager",
            "9am to 4pm. Lunch with residents at 12.30pm.",
            "Please do not visit if you have had sickness or diarrhoea in the last 48 hours.",
        ),
    ),
]

# How far apart the review steps of a past visit are dated, at most.
REVIEW_STEP = datetime.timedelta(days=2)


# --- Seeding -------------------------------------------------------------------------------------------


def _visit(participant, title: str, *, upcoming: bool) -> Booking | None:
    """The participant's confirmed visit to come of `title`, or their last attended one."""
    now = timezone.now()
    bookings = Booking.objects.select_related("slot__opportunity__partner").filter(
        participant=participant, slot__opportunity__title=title
    )
    if upcoming:
        bookings = bookings.filter(status=BookingStatus.CONFIRMED, slot__starts_at__gt=now)
        return bookings.order_by("slot__starts_at", "pk").first()
    bookings = bookings.filter(status=BookingStatus.ATTENDED, slot__ends_at__lte=now)
    return bookings.order_by("-slot__starts_at", "-pk").first()


def _contact(booking: Booking, email: str):
    """The partner contact with `email`, or the partner's admin contact."""
    partner_id = booking.slot.opportunity.partner_id
    membership = (
        PartnerMembership.objects.select_related("user")
        .filter(partner_id=partner_id, user__email=email)
        .first()
    )
    return membership.user if membership else _admin_contact(partner_id)


def _themes(slugs) -> list[Theme]:
    return list(Theme.objects.filter(slug__in=slugs).order_by("pk"))


def _write(demo: DemoDebrief, booking: Booking, texts: dict[str, str], *, submit: bool) -> Debrief:
    today = timezone.localdate()
    return debrief_save(
        booking=booking,
        by=booking.participant,
        texts=texts,
        themes=_themes(demo.themes),
        tags=list(demo.tags),
        usefulness=demo.usefulness,
        consent=demo.consent,
        actions=[
            ActionInput(description=what, owner=who, due_on=today + datetime.timedelta(days=days))
            for what, who, days in demo.actions
        ],
        submit=submit,
    )


def _review(demo: DemoDebrief, booking: Booking, team_user) -> Debrief:
    """The debrief's way through review to its state, each step through its service."""
    debrief = _write(demo, booking, demo.texts, submit=demo.status != D.DRAFT)
    if demo.status in (D.DRAFT, D.SUBMITTED) and not demo.changes:
        return debrief
    debrief = debrief_start_review(debrief=debrief, by=team_user)
    if demo.changes:
        debrief = debrief_request_changes(debrief=debrief, by=team_user, comment=demo.changes)
        if not demo.addition:
            return debrief
        texts = {**demo.texts, "what_i_learnt": f"{demo.texts['what_i_learnt']}\n\n{demo.addition}"}
        debrief = _write(demo, booking, texts, submit=True)
        if demo.status == D.SUBMITTED:
            return debrief
        debrief = debrief_start_review(debrief=debrief, by=team_user)
    if demo.status == D.IN_REVIEW:
        return debrief
    debrief = debrief_approve(debrief=debrief, by=team_user, comment=demo.approval_comment)
    if demo.status == D.PUBLISHED:
        debrief_publish(
            debrief=debrief, by=team_user, title=demo.insight_title, body=insight_draft_body(debrief)
        )
    return debrief


def _follow_up(demo: DemoDebrief, debrief: Debrief, team_user) -> None:
    for planned in demo.policy_actions:
        action = policy_action_create(
            debrief=debrief, by=team_user, description=planned.description, owner=team_user
        )
        if planned.status != P.OPEN:
            policy_action_update(action=action, by=team_user, status=planned.status, outcome=planned.outcome)


def _date_back(debrief: Debrief, *, since: datetime.datetime) -> None:
    """Spread the debrief's steps over the days after the visit, in the order they were taken, and
    mark each as notified then: a review of weeks ago sends no e-mail now."""
    events = list(debrief.events.order_by("created_at", "pk"))
    step = min(REVIEW_STEP, (timezone.now() - since) / (len(events) + 2))
    written_at = since + step
    dated = [(event, written_at + step * number) for number, event in enumerate(events, start=1)]
    for event, when in dated:
        type(event).objects.filter(pk=event.pk).update(created_at=when, notified_at=when)

    def last(*actions):
        return max((when for event, when in dated if event.action in actions), default=None)

    Debrief.objects.filter(pk=debrief.pk).update(
        created_at=written_at,
        updated_at=dated[-1][1] if dated else written_at,
        submitted_at=last(ReviewAction.SUBMITTED),
        reviewed_at=last(ReviewAction.CHANGES_REQUESTED, ReviewAction.APPROVED),
    )
    if published_at := last(ReviewAction.PUBLISHED):
        Insight.objects.filter(debrief=debrief).update(published_at=published_at)
    flagged = [when for event, when in dated if event.action == ReviewAction.FLAGGED]
    for action, when in zip(debrief.policy_actions.order_by("pk"), flagged, strict=True):
        done_at = min(when + step, timezone.now()) if action.status == P.DONE else None
        PolicyAction.objects.filter(pk=action.pk).update(
            created_at=when, updated_at=done_at or when, done_at=done_at
        )


def _seed_debriefs(created: dict, people: dict, team_user) -> None:
    for demo in DEBRIEFS:
        participant = people.get(demo.who)
        booking = _visit(participant, demo.title, upcoming=False) if participant else None
        if booking is None:
            continue
        with transaction.atomic():
            if demo.feedback and not PartnerFeedback.objects.filter(booking=booking).exists():
                feedback = partner_feedback_save(
                    booking=booking,
                    by=_contact(booking, demo.feedback.by),
                    visitor_prepared=demo.feedback.prepared,
                    value_to_partner=demo.feedback.value,
                    would_host_again=demo.feedback.again,
                    comments=demo.feedback.comments,
                )
                given_at = min(booking.slot.ends_at + datetime.timedelta(days=1), timezone.now())
                PartnerFeedback.objects.filter(pk=feedback.pk).update(
                    created_at=given_at, updated_at=given_at
                )
                created["partner_feedback"] += 1
            if Debrief.objects.filter(booking=booking).exists():
                continue
            debrief = _review(demo, booking, team_user)
            _follow_up(demo, debrief, team_user)
            _date_back(debrief, since=booking.slot.ends_at)
            created["debriefs"] += 1
            created["insights"] += demo.status == D.PUBLISHED
            created["policy_actions"] += len(demo.policy_actions)


def _seed_preparations(created: dict, people: dict) -> None:
    for demo in PREPARATIONS:
        participant = people.get(demo.who)
        booking = _visit(participant, demo.title, upcoming=True) if participant else None
        if booking is None:
            continue
        with transaction.atomic():
            if not Preparation.objects.filter(booking=booking).exists():
                preparation_save(
                    booking=booking,
                    by=participant,
                    objectives=demo.objectives,
                    questions=demo.questions,
                    policy_area=Theme.objects.filter(slug=demo.policy_area).first(),
                    prior_knowledge=demo.prior_knowledge,
                    access_needs=demo.access_needs,
                    confidentiality_acknowledged=demo.submit,
                    submit=demo.submit,
                )
                created["preparations"] += 1
            if demo.joining and not JoiningInstructions.objects.filter(booking=booking).exists():
                where, who, timings, other = demo.joining
                joining_instructions_save(
                    booking=booking,
                    by=_admin_contact(booking.slot.opportunity.partner_id),
                    where_to_go=where,
                    who_to_ask_for=who,
                    timings=timings,
                    other_information=other,
                )
                created["joining_instructions"] += 1


def demo_seed_debriefs(created: dict, *, participants, team_user) -> None:
    """Add the records of visits to the demo world; counts what it creates into `created`."""
    for key in (
        "preparations",
        "joining_instructions",
        "debriefs",
        "insights",
        "policy_actions",
        "partner_feedback",
    ):
        created.setdefault(key, 0)
    people = {participant.email.split("@")[0]: participant for participant in participants}
    seed_visit_history(
        created, people, Programme.objects.get(slug="connecting"), history=DEBRIEF_VISIT_HISTORY
    )
    _seed_debriefs(created, people, team_user)
    _seed_preparations(created, people)
