"""The site's URLs plus the reference wizard at /ref/new/<step>/ (the template links to the site's)."""

from django.urls import path

from wizard_site.urls import handler400, handler404, handler500, urlpatterns as site_urlpatterns  # noqa: F401

from .views import reference_wizard

urlpatterns = [path("ref/new/<str:step>/", reference_wizard, name="ref_step"), *site_urlpatterns]
