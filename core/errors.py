from django.views.defaults import page_not_found
from django.views.defaults import server_error as html_server_error

from .api.errors import json_error


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    if _is_api(request):
        return json_error(404, "not_found", "Not found.")
    return page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return json_error(500, "server_error", "Something went wrong on our side.")
    return html_server_error(request)
