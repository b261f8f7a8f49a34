from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from questions.selectors import certification_list_with_blueprints


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request, "questions/home.html", {"certifications": certification_list_with_blueprints()}
    )
