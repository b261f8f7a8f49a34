from django.apps import AppConfig


class QuestionsConfig(AppConfig):
    name = "questions"
    verbose_name = "Questions and exams"

    def ready(self) -> None:
        from questions import receivers

        receivers.connect()
