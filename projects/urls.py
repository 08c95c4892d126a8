from django.urls import path

from . import views
from .autosave import autosave
from .draft_documents import document_remove, document_upload
from .wizard import ProjectWizard

app_name = "projects"

wizard = ProjectWizard.as_view(url_name="projects:wizard_step", done_step_name="done")

urlpatterns = [
    path("", views.project_list, name="list"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/documents/<int:document_id>/", views.project_document, name="document"),
    path("drafts/", views.draft_list, name="drafts"),
    path("drafts/move/", views.drafts_move, name="drafts_move"),
    path("drafts/link/<str:token>/", views.draft_link, name="draft_link"),
    path("new/", wizard, name="wizard_new"),
    path("new/autosave/", autosave, name="autosave_new"),
    path("new/restart/", views.draft_restart_view, name="wizard_restart"),
    path("new/<uuid:draft_id>/", wizard, name="wizard_resume"),
    path("new/<uuid:draft_id>/discard/", views.draft_discard_view, name="draft_discard"),
    path("new/<uuid:draft_id>/keep/", views.draft_keep_view, name="draft_keep"),
    path("new/<uuid:draft_id>/restore/", views.draft_restore_view, name="draft_restore"),
    path("new/<uuid:draft_id>/email-link/", views.draft_email_link, name="draft_email_link"),
    path("new/<uuid:draft_id>/files/", document_upload, name="draft_document_upload"),
    path("new/<uuid:draft_id>/files/<str:file_id>/", views.draft_file, name="draft_file"),
    path("new/<uuid:draft_id>/files/<str:file_id>/remove/", document_remove, name="draft_document_remove"),
    path("new/<uuid:draft_id>/<str:step>/", wizard, name="wizard_step"),
    path("new/<uuid:draft_id>/<str:step>/autosave/", autosave, name="autosave"),
    path("new/<uuid:draft_id>/<str:step>/versions/", views.draft_versions, name="draft_versions"),
]
