from django.urls import path

from questions import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/signup/", views.signup, name="signup"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("attempts/mock/", views.start_mock, name="start_mock"),
    path("attempts/practice/", views.start_practice, name="start_practice"),
    path("attempts/<int:attempt_id>/", views.attempt_resume, name="attempt_resume"),
    path(
        "attempts/<int:attempt_id>/q/<int:position>/",
        views.attempt_question,
        name="attempt_question",
    ),
    path(
        "attempts/<int:attempt_id>/q/<int:position>/go/",
        views.attempt_navigate,
        name="attempt_navigate",
    ),
    path(
        "attempts/<int:attempt_id>/q/<int:position>/answer/",
        views.attempt_answer_save,
        name="attempt_answer",
    ),
    path(
        "attempts/<int:attempt_id>/q/<int:position>/flag/",
        views.attempt_flag_toggle,
        name="attempt_flag",
    ),
    path("attempts/<int:attempt_id>/review/", views.attempt_review, name="attempt_review"),
    path("attempts/<int:attempt_id>/finish/", views.attempt_finish, name="attempt_finish"),
    path("attempts/<int:attempt_id>/submit/", views.attempt_submit_view, name="attempt_submit"),
    path("attempts/<int:attempt_id>/report/", views.attempt_report_view, name="attempt_report"),
    path("attempts/<int:attempt_id>/answers/", views.attempt_answers, name="attempt_answers"),
    path("attempts/<int:attempt_id>/retry/", views.attempt_retry_wrong, name="attempt_retry"),
    path(
        "attempts/<int:attempt_id>/answers/report-problem/",
        views.attempt_problem_report,
        name="attempt_problem_report",
    ),
]
