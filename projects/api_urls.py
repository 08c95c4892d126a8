from django.urls import path

from . import api

app_name = "api"

urlpatterns = [
    path("sessions", api.sessions, name="sessions"),
    path("sessions/health", api.health, name="health"),
    path("sessions/<str:session_id>", api.session, name="session"),
    path("sessions/<str:session_id>/validate", api.session_validate, name="validate"),
    path("openapi.json", api.openapi_json, name="openapi"),
    path("openapi.yaml", api.openapi_yaml, name="openapi_yaml"),
]
