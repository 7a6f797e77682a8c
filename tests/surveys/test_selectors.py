"""Results with known answers: the per-question figures and the dashboard's result lines."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connecting.surveys.models import QuestionKind, SurveyAudience
from connecting.surveys.selectors import (
    SurveyResultLine,
    percent,
    survey_free_text_answers,
    survey_question_results,
    survey_results_summary,
)
from tests.factories import ProgrammeFactory
from tests.surveys.support import OpenSurveyFactory, SurveyFactory, SurveyQuestionFactory, answered

pytestmark = pytest.mark.django_db


def _at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def _participants_survey(programme, opened_on, *, scale_values, yes_values, title="Participants' year"):
    survey = OpenSurveyFactory(programme=programme, title=title, opened_at=_at(opened_on))
    scale = SurveyQuestionFactory(survey=survey, position=1)
    yes_no = SurveyQuestionFactory(
        survey=survey,
        position=2,
        kind=QuestionKind.YES_NO,
        text="Would you go again?",
        statement="would go again",
    )
    for scale_value, yes_value in zip(scale_values, yes_values, strict=True):
        answered(survey, {scale: scale_value, yes_no: yes_value})
    return survey


def test_percent_rounds_halves_up_and_nothing_is_zero():
    assert [percent(17, 20), percent(171, 200), percent(1, 3), percent(2, 3), percent(0, 0)] == [
        85,
        86,
        33,
        67,
        0,
    ]


def test_survey_results_summary_writes_a_line_per_scored_question_in_opening_order():
    programme = ProgrammeFactory()
    # 20 participants: 17 agreed (4 or 5) = 85%; 15 of 20 would go again = 75%.
    _participants_survey(
        programme,
        datetime.date(2026, 7, 1),
        scale_values=[5] * 9 + [4] * 8 + [3, 2, 1],
        yes_values=[1] * 15 + [0] * 5,
    )
    partners = OpenSurveyFactory(
        programme=programme,
        audience=SurveyAudience.PARTNERS,
        title="Partners' year",
        opened_at=_at(datetime.date(2026, 6, 1)),
    )
    good = SurveyQuestionFactory(
        survey=partners, text="It was a good opportunity", statement="rated it a good opportunity"
    )
    comments = SurveyQuestionFactory(survey=partners, position=2, kind=QuestionKind.FREE_TEXT, statement="")
    for value in [5] * 6 + [4] * 0 + [2]:  # 6 of 7 = 85.7% -> 86%
        answered(partners, {good: value, comments: "Useful"})
    SurveyQuestionFactory(survey=OpenSurveyFactory(programme=programme), statement="no answers yet")
    _participants_survey(ProgrammeFactory(), datetime.date(2026, 7, 1), scale_values=[5], yes_values=[1])

    with CaptureQueriesContext(connection) as queries:
        lines = survey_results_summary(programme=programme)

    assert len(queries) == 1
    assert lines == [
        SurveyResultLine(
            audience="partners",
            statement="86% of partners rated it a good opportunity",
            percent=86,
            responses=7,
            question_text="It was a good opportunity",
            survey_title="Partners' year",
        ),
        SurveyResultLine(
            audience="participants",
            statement="85% of participants understood the frontline better",
            percent=85,
            responses=20,
            question_text="The visit helped me understand the frontline better",
            survey_title="Participants' year",
        ),
        SurveyResultLine(
            audience="participants",
            statement="75% of participants would go again",
            percent=75,
            responses=20,
            question_text="Would you go again?",
            survey_title="Participants' year",
        ),
    ]


def test_survey_results_summary_takes_surveys_opened_within_the_dates_inclusive():
    programme = ProgrammeFactory()
    for day, title in (
        (datetime.date(2026, 1, 31), "January"),
        (datetime.date(2026, 2, 1), "February"),
        (datetime.date(2026, 2, 28), "Late February"),
        (datetime.date(2026, 3, 1), "March"),
    ):
        _participants_survey(programme, day, scale_values=[5], yes_values=[1], title=title)

    def titles(**window):
        return [line.survey_title for line in survey_results_summary(programme=programme, **window)][::2]

    assert titles(start=datetime.date(2026, 2, 1), end=datetime.date(2026, 2, 28)) == [
        "February",
        "Late February",
    ]
    assert titles(start=datetime.date(2026, 2, 28)) == ["Late February", "March"]
    assert titles(end=datetime.date(2026, 1, 31)) == ["January"]
    assert titles(start=_at(datetime.date(2026, 2, 1)), end=_at(datetime.date(2026, 2, 28))) == [
        "February",
        "Late February",
    ]


def test_survey_results_summary_query_count_does_not_grow_with_surveys():
    programme = ProgrammeFactory()
    _participants_survey(programme, datetime.date(2026, 5, 1), scale_values=[5], yes_values=[1])
    with CaptureQueriesContext(connection) as one:
        survey_results_summary(programme=programme)
    for month in (6, 7):
        _participants_survey(programme, datetime.date(2026, month, 1), scale_values=[4, 2], yes_values=[1, 0])
    with CaptureQueriesContext(connection) as three:
        lines = survey_results_summary(programme=programme)

    assert (len(one), len(three), len(lines)) == (1, 1, 6)


def test_survey_question_results_give_the_distribution_and_share_agreeing():
    survey = _participants_survey(
        ProgrammeFactory(), datetime.date(2026, 7, 1), scale_values=[5, 4, 4, 2], yes_values=[1, 1, 1, 0]
    )
    SurveyQuestionFactory(survey=survey, position=3, kind=QuestionKind.FREE_TEXT, statement="")

    results = survey_question_results(survey=survey)

    assert [(r.question.position, r.answers, r.percent, r.distribution) for r in results] == [
        (
            1,
            4,
            75,
            (
                ("Strongly disagree", 0, 0),
                ("Disagree", 1, 25),
                ("Neither agree nor disagree", 0, 0),
                ("Agree", 2, 50),
                ("Strongly agree", 1, 25),
            ),
        ),
        (2, 4, 75, (("Yes", 3, 75), ("No", 1, 25))),
        (3, 0, 0, ()),
    ]


def test_free_text_answers_come_in_question_order_without_names():
    survey = SurveyFactory(status="open", opened_at=timezone.now())
    first = SurveyQuestionFactory(survey=survey, position=1, kind=QuestionKind.FREE_TEXT, statement="")
    second = SurveyQuestionFactory(survey=survey, position=2, kind=QuestionKind.FREE_TEXT, statement="")
    answered(survey, {second: "B1", first: "A1"})
    answered(survey, {first: "A2"})

    assert [(a.question.position, a.text) for a in survey_free_text_answers(survey=survey)] == [
        (1, "A1"),
        (1, "A2"),
        (2, "B1"),
    ]
